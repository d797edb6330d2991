/** `diffae invert`: images → (z, x_T) by encoding and DDIM inversion. */
import { BACKEND_HELP, BACKEND_OPTIONS, positionals, requireString, stringOption } from '../args.ts';
import { type Command, helpText, pipelineOptions, saveTensor, stepsOption } from '../command.ts';
import { readImageBatch, readLatents } from '../io.ts';
import { withSession } from '../session.ts';
import { invertImages } from './codes.ts';
import { INPUT_IMAGES_HELP } from './encode.ts';

export const invertCommand: Command = {
  name: 'invert',
  summary: 'images → stochastic codes x_T (DDIM inversion), plus z',
  help: helpText(
    'diffae invert --bundle DIR IMAGE... [--z z.npy] [--steps K] --out-xt xT.npy [--out-z z.npy]',
    `Encodes the images (or takes --z) and inverts them with K deterministic DDIM steps to x_T.\n${INPUT_IMAGES_HELP}`,
    `Options:
  --steps K              inversion steps (default: the bundle's defaults.inversionSteps)
  --z FILE.npy           use this z [N,Z] instead of encoding the images
  --out-xt FILE.npy      where to write x_T [N,3,S,S]                     [required]
  --out-z FILE.npy       where to write z [N,Z]`,
    BACKEND_HELP,
    'Example:\n  diffae invert --bundle bundles/facesynth64 face.png --steps 100 --out-z z.npy --out-xt xT.npy',
  ),
  options: {
    ...BACKEND_OPTIONS,
    z: { type: 'string' },
    steps: { type: 'string' },
    'out-xt': { type: 'string' },
    'out-z': { type: 'string' },
  },
  async run(args, io) {
    const files = positionals(args, 'image file(s)', 1);
    const outXt = requireString(args, 'out-xt', 'FILE.npy');
    const outZ = stringOption(args, 'out-z');
    const zFile = stringOption(args, 'z');
    await withSession(args, io, async (session) => {
      const m = session.bundle.manifest;
      const steps = stepsOption(args, 'steps', m.defaults.inversionSteps, m.diffusion.image.T);
      const x = await readImageBatch(files, m.imageSize);
      const z = zFile === undefined ? undefined : await readLatents(zFile, m.zDim);
      const codes = await invertImages(session, x, steps, pipelineOptions(session, io), z);
      await saveTensor(io, outXt, codes.xT);
      if (outZ !== undefined) await saveTensor(io, outZ, codes.z);
    });
  },
};
