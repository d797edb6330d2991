/** `diffae reconstruct`: image → (z, x_T) → image. */
import { reconstruct } from '../../../pipelines.ts';
import { BACKEND_HELP, BACKEND_OPTIONS, positionals } from '../args.ts';
import {
  type Command,
  helpText,
  IMAGE_OUTPUT_HELP,
  IMAGE_OUTPUT_OPTIONS,
  imageTarget,
  pipelineOptions,
  saveImages,
  stepsOption,
} from '../command.ts';
import { readImageBatch } from '../io.ts';
import { withSession } from '../session.ts';
import { maybeSaveLatents, SAVE_LATENTS_HELP } from './codes.ts';
import { INPUT_IMAGES_HELP } from './encode.ts';

export const reconstructCommand: Command = {
  name: 'reconstruct',
  summary: 'image → encode, invert, render back',
  help: helpText(
    'diffae reconstruct --bundle DIR IMAGE... [--inversion-steps K] [--render-steps K] (--out out.png | --out-dir DIR)',
    `Encodes each image, inverts it to x_T and renders (z, x_T) back. ${INPUT_IMAGES_HELP}`,
    `Options:
  --inversion-steps K    default: the bundle's defaults.inversionSteps
  --render-steps K       default: the bundle's defaults.renderSteps
${SAVE_LATENTS_HELP}`,
    IMAGE_OUTPUT_HELP,
    BACKEND_HELP,
    'Example:\n  diffae reconstruct --bundle bundles/facesynth64 face.png --inversion-steps 100 --render-steps 20 \\\n    --out recon.png --save-latents codes/',
  ),
  options: {
    ...BACKEND_OPTIONS,
    ...IMAGE_OUTPUT_OPTIONS,
    'inversion-steps': { type: 'string' },
    'render-steps': { type: 'string' },
    'save-latents': { type: 'string' },
  },
  async run(args, io) {
    const files = positionals(args, 'image file(s)', 1);
    const target = imageTarget(args);
    await withSession(args, io, async (session) => {
      const m = session.bundle.manifest;
      const T = m.diffusion.image.T;
      const inversionSteps = stepsOption(args, 'inversion-steps', m.defaults.inversionSteps, T);
      const renderSteps = stepsOption(args, 'render-steps', m.defaults.renderSteps, T);
      const x = await readImageBatch(files, m.imageSize);
      const result = await reconstruct(session.backend, x, {
        ...pipelineOptions(session, io),
        inversionSteps,
        renderSteps,
      });
      await saveImages(args, io, result.image, target, 'reconstruct');
      await maybeSaveLatents(args, io, result);
    });
  },
};
