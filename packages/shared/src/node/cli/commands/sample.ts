/** `diffae sample`: unconditional samples (latent DDIM → z, then render). */
import { sample } from '../../../pipelines.ts';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, positionals, requireString } from '../args.ts';
import { type Command, helpText, pipelineOptions, saveImages, seedOption, stepsOption } from '../command.ts';
import { CliUsageError } from '../errors.ts';
import { withSession } from '../session.ts';
import { maybeSaveLatents, SAVE_LATENTS_HELP } from './codes.ts';

export const sampleCommand: Command = {
  name: 'sample',
  summary: 'unconditional samples from the latent DPM (needs latent.onnx)',
  help: helpText(
    'diffae sample --bundle DIR [--n N] --seed S [--steps K] [--latent-steps K] --out-dir DIR',
    'Draws x_T (first N·3·S·S values) and the latent noise (next N·Z values) from one seeded normal stream,\nruns the latent DDIM (no clipping), de-normalises z = z_n·σ + μ and renders (z, x_T).',
    `Options:
  --n N                  number of samples (default 4)
  --seed S               32-bit seed                                      [required]
  --steps K              render steps (default: the bundle's defaults.renderSteps)
  --latent-steps K       latent DDIM steps (default: the bundle's defaults.latentSteps)
  --out-dir DIR          folder for sample-i.png                          [required]
  --out-npy FILE.npy     also save the images tensor [N,3,S,S] in [0,1]
${SAVE_LATENTS_HELP.replace('the codes used for the render', 'the sampled z (de-normalised) and x_T')}`,
    BACKEND_HELP,
    'Example:\n  diffae sample --bundle bundles/facesynth64 --n 16 --seed 1 --steps 20 --latent-steps 100 --out-dir samples/',
  ),
  options: {
    ...BACKEND_OPTIONS,
    n: { type: 'string' },
    seed: { type: 'string' },
    steps: { type: 'string' },
    'latent-steps': { type: 'string' },
    'out-dir': { type: 'string' },
    'out-npy': { type: 'string' },
    'save-latents': { type: 'string' },
  },
  async run(args, io) {
    positionals(args, 'positional arguments', 0, 0);
    const n = intOption(args, 'n', 4, 1, 10_000);
    const seed = seedOption(args);
    const outDir = requireString(args, 'out-dir', 'DIR');
    await withSession(args, io, async (session) => {
      const { manifest: m, latentStats } = session.bundle;
      const latent = m.diffusion.latent;
      if (latentStats === undefined || latent === undefined || m.defaults.latentSteps === undefined) {
        throw new CliUsageError(
          `bundle ${m.id} has no latent DPM (latent.onnx): unconditional sampling is not available`,
        );
      }
      const steps = stepsOption(args, 'steps', m.defaults.renderSteps, m.diffusion.image.T);
      const latentSteps = stepsOption(args, 'latent-steps', m.defaults.latentSteps, latent.T);
      const result = await sample(session.backend, n, latentStats, {
        ...pipelineOptions(session, io),
        steps,
        latentSteps,
        latentDiffusion: latent,
        seed,
        imageSize: m.imageSize,
      });
      await saveImages(args, io, result.images, { outDir }, 'sample');
      await maybeSaveLatents(args, io, result);
    });
  },
};
