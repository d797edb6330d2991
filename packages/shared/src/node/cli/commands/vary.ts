/** `diffae vary`: stochastic variations of one image's z (random x_T) and their mean. */

import { join } from 'node:path';
import { tensorToImages } from '../../../image/convert.ts';
import { varyStochastic } from '../../../pipelines.ts';
import { sliceBatch } from '../../../tensor.ts';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, requireString, stringOption } from '../args.ts';
import { type Command, helpText, pipelineOptions, saveImages, seedOption, stepsOption } from '../command.ts';
import { CliUsageError } from '../errors.ts';
import { readImageBatch, readLatents, writePng } from '../io.ts';
import { withSession } from '../session.ts';
import { semanticCodes } from './codes.ts';
import { INPUT_IMAGES_HELP } from './encode.ts';

export const varyCommand: Command = {
  name: 'vary',
  summary: 'stochastic variations of one image (same z, random x_T) and their mean',
  help: helpText(
    'diffae vary --bundle DIR (IMAGE | --z z.npy) [--n N] --seed S [--steps K] --out-dir DIR',
    `Renders one z with N seeded x_T = normalNoise(seed, [N,3,S,S]); writes variation-i.png and mean.png (the\nmean of the N rendered images). ${INPUT_IMAGES_HELP}`,
    `Options:
  --z FILE.npy           the z [1,Z] to vary (instead of encoding IMAGE)
  --n N                  number of variations (default 4)
  --seed S               32-bit seed of the x_T noise                     [required]
  --steps K              render steps (default: the bundle's defaults.renderSteps)
  --out-dir DIR          folder for variation-i.png and mean.png          [required]
  --out-npy FILE.npy     also save the variations tensor [N,3,S,S] in [0,1]`,
    BACKEND_HELP,
    'Example:\n  diffae vary --bundle bundles/facesynth64 face.png --n 8 --seed 7 --out-dir variations/',
  ),
  options: {
    ...BACKEND_OPTIONS,
    z: { type: 'string' },
    n: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    'out-dir': { type: 'string' },
    'out-npy': { type: 'string' },
  },
  async run(args, io) {
    const zFile = stringOption(args, 'z');
    if ((zFile === undefined) === (args.positionals.length === 0)) {
      throw new CliUsageError('give exactly one IMAGE or --z z.npy');
    }
    if (args.positionals.length > 1)
      throw new CliUsageError(`vary takes one IMAGE, got ${args.positionals.length}`);
    const n = intOption(args, 'n', 4, 1, 10_000);
    const seed = seedOption(args);
    const outDir = requireString(args, 'out-dir', 'DIR');
    await withSession(args, io, async (session) => {
      const m = session.bundle.manifest;
      const steps = stepsOption(args, 'steps', m.defaults.renderSteps, m.diffusion.image.T);
      const opts = pipelineOptions(session, io);
      let z =
        zFile !== undefined
          ? await readLatents(zFile, m.zDim)
          : await semanticCodes(session, await readImageBatch(args.positionals, m.imageSize), opts);
      if (z.shape[0] !== 1) throw new CliUsageError(`vary needs one z row, got ${z.shape[0]}`);
      z = sliceBatch(z, 0, 1);
      const result = await varyStochastic(session.backend, z, n, {
        ...opts,
        steps,
        seed,
        imageSize: m.imageSize,
      });
      await saveImages(args, io, result.images, { outDir }, 'variation');
      const meanPath = join(outDir, 'mean.png');
      await writePng(meanPath, tensorToImages(result.mean)[0]);
      io.out(`wrote ${meanPath}`);
    });
  },
};
