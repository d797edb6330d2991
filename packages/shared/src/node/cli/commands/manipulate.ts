/** `diffae manipulate`: attribute editing of z with the bundle's linear classifier, rendered from x_T. */
import { type AttributeEdits, resolveAttribute } from '../../../classifier.ts';
import { type Codes, manipulate } from '../../../pipelines.ts';
import type { Tensor } from '../../../tensor.ts';
import { BACKEND_HELP, BACKEND_OPTIONS, type ParsedArgs, stringList, stringOption } from '../args.ts';
import {
  type Command,
  helpText,
  IMAGE_OUTPUT_HELP,
  IMAGE_OUTPUT_OPTIONS,
  imageTarget,
  pipelineOptions,
  saveImages,
  saveTensor,
  stepsOption,
} from '../command.ts';
import { CliUsageError } from '../errors.ts';
import { readImageBatch, readLatents, readNoise } from '../io.ts';
import { withSession } from '../session.ts';
import { maybeSaveLatents, SAVE_LATENTS_HELP } from './codes.ts';

/** `--edit Name=amp` (repeatable, or comma-separated) → { Name: amp }. */
export function parseEdits(items: readonly string[]): AttributeEdits {
  const edits: Record<string, number> = {};
  for (const item of items.flatMap((s) => s.split(','))) {
    const match = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(item);
    const amplitude = match ? Number(match[2]) : Number.NaN;
    if (!match || !Number.isFinite(amplitude)) {
      throw new CliUsageError(`--edit expects Attribute=amplitude (e.g. Smiling=0.3), got "${item}"`);
    }
    if (match[1] in edits) throw new CliUsageError(`attribute "${match[1]}" is edited twice`);
    edits[match[1]] = amplitude;
  }
  if (Object.keys(edits).length === 0)
    throw new CliUsageError('at least one --edit Attribute=amplitude is required');
  return edits;
}

function inputKind(args: ParsedArgs): 'image' | 'codes' {
  const hasZ = args.values.z !== undefined;
  const hasXt = args.values.xt !== undefined;
  if (hasZ !== hasXt) throw new CliUsageError('--z and --xt go together (the codes of the image to edit)');
  if (hasZ && args.positionals.length > 0) throw new CliUsageError('give IMAGE or --z/--xt, not both');
  if (!hasZ && args.positionals.length === 0)
    throw new CliUsageError('give an IMAGE or --z z.npy --xt xT.npy');
  return hasZ ? 'codes' : 'image';
}

export const manipulateCommand: Command = {
  name: 'manipulate',
  summary: 'attribute editing (e.g. Smiling=0.3) of an image or of its codes',
  help: helpText(
    'diffae manipulate --bundle DIR (IMAGE... | --z z.npy --xt xT.npy) --edit Attr=amp [--edit ...] (--out out.png | --out-dir DIR)',
    'Moves z along the classifier direction of each attribute (z\' = ((z-μ)/σ + Σ a·√512·d)·σ + μ) and renders z\'\nwith the unchanged x_T. Amplitudes of about -0.5..0.5 are the official range. For a "No_X" attribute, "X"\nis accepted with the sign flipped (Beard=0.3 means No_Beard=-0.3). `diffae info` lists the attributes.',
    `Options:
  --edit Attr=amp        an edit; repeat it (or separate with commas) for several at once   [required]
  --z FILE.npy --xt FILE.npy   edit these codes instead of an image
  --inversion-steps K    default: the bundle's defaults.inversionSteps (image input)
  --render-steps K       default: the bundle's defaults.manipulateRenderSteps
${SAVE_LATENTS_HELP.replace('z.npy', "z.npy (the edited z'), z-source.npy")}`,
    IMAGE_OUTPUT_HELP,
    BACKEND_HELP,
    'Example:\n  diffae manipulate --bundle bundles/facesynth64 face.png --edit Smiling=0.3 --edit Eyeglasses=0.2 --out edit.png',
  ),
  options: {
    ...BACKEND_OPTIONS,
    ...IMAGE_OUTPUT_OPTIONS,
    edit: { type: 'string', multiple: true },
    z: { type: 'string' },
    xt: { type: 'string' },
    'inversion-steps': { type: 'string' },
    'render-steps': { type: 'string' },
    'save-latents': { type: 'string' },
  },
  async run(args, io) {
    const edits = parseEdits(stringList(args, 'edit'));
    const kind = inputKind(args);
    const target = imageTarget(args);
    await withSession(args, io, async (session) => {
      const { manifest: m, classifier } = session.bundle;
      if (classifier === undefined) {
        throw new CliUsageError(
          `bundle ${m.id} has no classifier (classifier.json): attribute editing is not available`,
        );
      }
      for (const name of Object.keys(edits)) resolveAttribute(classifier, name);
      const T = m.diffusion.image.T;
      const renderSteps = stepsOption(args, 'render-steps', m.defaults.manipulateRenderSteps, T);
      const inversionSteps = stepsOption(args, 'inversion-steps', m.defaults.inversionSteps, T);
      let input: Codes | { x: Tensor };
      if (kind === 'codes') {
        const z = await readLatents(stringOption(args, 'z') as string, m.zDim);
        input = { z, xT: await readNoise(stringOption(args, 'xt') as string, m.imageSize, z.shape[0]) };
      } else {
        input = { x: await readImageBatch(args.positionals, m.imageSize) };
      }
      const result = await manipulate(session.backend, input, classifier, edits, {
        ...pipelineOptions(session, io),
        renderSteps,
        inversionSteps,
      });
      await saveImages(args, io, result.image, target, 'manipulate');
      await maybeSaveLatents(args, io, result);
      const dir = stringOption(args, 'save-latents');
      if (dir !== undefined) await saveTensor(io, `${dir}/z-source.npy`, result.sourceZ);
    });
  },
};
