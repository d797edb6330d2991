/** `diffae interpolate`: frames between two images (z lerped, x_T slerped), optionally as a GIF. */
import { writeFile } from 'node:fs/promises';
import { tensorToImages } from '../../../image/convert.ts';
import { interpolate } from '../../../pipelines.ts';
import { sliceBatch } from '../../../tensor.ts';
import { encodeGif } from '../../gif.ts';
import {
  BACKEND_HELP,
  BACKEND_OPTIONS,
  intOption,
  positionals,
  requireString,
  stringOption,
} from '../args.ts';
import { type Command, helpText, pipelineOptions, saveImages, stepsOption } from '../command.ts';
import { CliUsageError } from '../errors.ts';
import { readImageBatch } from '../io.ts';
import { withSession } from '../session.ts';
import { invertImages, maybeSaveLatents, SAVE_LATENTS_HELP } from './codes.ts';
import { INPUT_IMAGES_HELP } from './encode.ts';

export const interpolateCommand: Command = {
  name: 'interpolate',
  summary: 'frames between two images (PNG frames, optional animated GIF)',
  help: helpText(
    'diffae interpolate --bundle DIR A B [--frames N] --out-dir DIR [--gif anim.gif]',
    `Inverts both images, then renders N frames at α = linspace(0, 1, N): z lerped, x_T slerped.\n${INPUT_IMAGES_HELP}`,
    `Options:
  --frames N             number of frames including both ends (default 8)
  --inversion-steps K    default: the bundle's defaults.inversionSteps
  --render-steps K       default: the bundle's defaults.renderSteps
  --out-dir DIR          folder for frame-0.png … frame-(N-1).png         [required]
  --gif FILE.gif         also write an animated GIF of the frames
  --gif-delay MS         delay per GIF frame in milliseconds (default 100)
  --out-npy FILE.npy     also save the frames tensor [N,3,S,S] in [0,1]
${SAVE_LATENTS_HELP.replace('the codes used for the render', 'the interpolated codes of every frame')}`,
    BACKEND_HELP,
    'Example:\n  diffae interpolate --bundle bundles/facesynth64 a.png b.png --frames 10 --out-dir frames/ --gif morph.gif',
  ),
  options: {
    ...BACKEND_OPTIONS,
    frames: { type: 'string' },
    'inversion-steps': { type: 'string' },
    'render-steps': { type: 'string' },
    'out-dir': { type: 'string' },
    'out-npy': { type: 'string' },
    gif: { type: 'string' },
    'gif-delay': { type: 'string' },
    'save-latents': { type: 'string' },
  },
  async run(args, io) {
    const files = positionals(args, 'images (A and B)', 2, 2);
    const frames = intOption(args, 'frames', 8, 2, 10_000);
    const outDir = requireString(args, 'out-dir', 'DIR');
    const gif = stringOption(args, 'gif');
    const delay = intOption(args, 'gif-delay', 100, 1, 655_350);
    await withSession(args, io, async (session) => {
      const m = session.bundle.manifest;
      const T = m.diffusion.image.T;
      const inversionSteps = stepsOption(args, 'inversion-steps', m.defaults.inversionSteps, T);
      const renderSteps = stepsOption(args, 'render-steps', m.defaults.renderSteps, T);
      const x = await readImageBatch(files, m.imageSize);
      if (x.shape[0] !== 2)
        throw new CliUsageError(`A and B must be one image each, got ${x.shape[0]} rows in total`);
      const opts = pipelineOptions(session, io);
      const codes = await invertImages(session, x, inversionSteps, opts);
      const row = (i: number) => ({ z: sliceBatch(codes.z, i, i + 1), xT: sliceBatch(codes.xT, i, i + 1) });
      const result = await interpolate(session.backend, row(0), row(1), frames, { ...opts, renderSteps });
      await saveImages(args, io, result.images, { outDir }, 'frame');
      if (gif !== undefined) {
        await writeFile(gif, encodeGif(tensorToImages(result.images), delay));
        io.out(`wrote ${gif}`);
      }
      await maybeSaveLatents(args, io, { z: result.z, xT: result.xT });
    });
  },
};
