/** `diffae render`: (z, x_T) → images by DDIM sampling. */

import { render } from '../../../pipelines.ts';
import { normalNoise } from '../../../prng.ts';
import { BACKEND_HELP, BACKEND_OPTIONS, positionals, requireString, stringOption } from '../args.ts';
import {
  type Command,
  helpText,
  IMAGE_OUTPUT_HELP,
  IMAGE_OUTPUT_OPTIONS,
  imageTarget,
  pipelineOptions,
  saveImages,
  seedOption,
  stepsOption,
} from '../command.ts';
import { CliUsageError } from '../errors.ts';
import { readLatents, readNoise } from '../io.ts';
import { withSession } from '../session.ts';
import { maybeSaveLatents, SAVE_LATENTS_HELP } from './codes.ts';

export const renderCommand: Command = {
  name: 'render',
  summary: 'codes (z with x_T or a seed) → images',
  help: helpText(
    'diffae render --bundle DIR --z z.npy (--xt xT.npy | --seed N) [--steps K] (--out out.png | --out-dir DIR)',
    'Decodes every row of z with DDIM (x0 clipped like the official sampler). x_T comes from --xt (one row per z\nrow) or is drawn from --seed: normalNoise(seed, [N,3,S,S]), identical in every runtime.',
    `Options:
  --z FILE.npy           semantic codes [N,Z]                             [required]
  --xt FILE.npy          stochastic codes [N,3,S,S]
  --seed N               or draw x_T from this 32-bit seed
  --steps K              render steps (default: the bundle's defaults.renderSteps)
${SAVE_LATENTS_HELP}`,
    IMAGE_OUTPUT_HELP,
    BACKEND_HELP,
    'Example:\n  diffae render --bundle bundles/facesynth64 --z z.npy --xt xT.npy --steps 20 --out face.png',
  ),
  options: {
    ...BACKEND_OPTIONS,
    ...IMAGE_OUTPUT_OPTIONS,
    z: { type: 'string' },
    xt: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    'save-latents': { type: 'string' },
  },
  async run(args, io) {
    positionals(args, 'positional arguments', 0, 0);
    const zFile = requireString(args, 'z', 'FILE.npy');
    const xtFile = stringOption(args, 'xt');
    if ((xtFile === undefined) === (args.values.seed === undefined)) {
      throw new CliUsageError('give exactly one of --xt FILE.npy and --seed N');
    }
    const target = imageTarget(args);
    await withSession(args, io, async (session) => {
      const m = session.bundle.manifest;
      const steps = stepsOption(args, 'steps', m.defaults.renderSteps, m.diffusion.image.T);
      const z = await readLatents(zFile, m.zDim);
      const n = z.shape[0];
      const xT =
        xtFile !== undefined
          ? await readNoise(xtFile, m.imageSize, n)
          : normalNoise(seedOption(args), [n, 3, m.imageSize, m.imageSize]);
      const images = await render(session.backend, xT, z, { ...pipelineOptions(session, io), steps });
      await saveImages(args, io, images, target, 'render');
      await maybeSaveLatents(args, io, { z, xT });
    });
  },
};
