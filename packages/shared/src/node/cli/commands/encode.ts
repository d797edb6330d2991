/** `diffae encode`: images → semantic codes z. */
import { encode } from '../../../pipelines.ts';
import { BACKEND_HELP, BACKEND_OPTIONS, flag, positionals, requireString } from '../args.ts';
import { type Command, helpText, pipelineOptions, saveTensor } from '../command.ts';
import { CliUsageError } from '../errors.ts';
import { readImageBatch } from '../io.ts';
import { withSession } from '../session.ts';

export const INPUT_IMAGES_HELP =
  'Images are PNG or JPEG, resized (shorter side → S, bilinear) and centre-cropped to the bundle size S like\nthe official loader; a .npy argument is used as a preprocessed tensor [N,3,S,S] in [-1,1].';

export const encodeCommand: Command = {
  name: 'encode',
  summary: 'images → semantic codes z (.npy [N,Z])',
  help: helpText(
    'diffae encode --bundle DIR IMAGE... --out z.npy [--lite]',
    `Runs the semantic encoder on every image. ${INPUT_IMAGES_HELP}`,
    `Options:
  --out FILE.npy         where to write z [N,Z] (float32)                 [required]
  --lite                 use the bundle's lite encoder (approximate, for previews)`,
    BACKEND_HELP,
    'Example:\n  diffae encode --bundle bundles/facesynth64 face1.png face2.jpg --out z.npy',
  ),
  options: { ...BACKEND_OPTIONS, out: { type: 'string' }, lite: { type: 'boolean' } },
  async run(args, io) {
    const files = positionals(args, 'image file(s)', 1);
    const out = requireString(args, 'out', 'FILE.npy');
    const lite = flag(args, 'lite');
    await withSession(args, io, async (session) => {
      if (lite && session.bundle.files.liteEncoder === undefined) {
        throw new CliUsageError(
          `bundle ${session.bundle.manifest.id} has no lite encoder (lite_encoder.onnx); drop --lite`,
        );
      }
      const x = await readImageBatch(files, session.bundle.manifest.imageSize);
      const z = await encode(session.backend, x, { ...pipelineOptions(session, io), lite });
      await saveTensor(io, out, z);
    });
  },
};
