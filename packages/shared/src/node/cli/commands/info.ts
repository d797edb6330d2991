/** `diffae info`: what a bundle holds, without opening any network. */
import type { LoadedBundle } from '../../bundle.ts';
import { flag } from '../args.ts';
import { type Command, helpText } from '../command.ts';
import { loadBundleFromArgs } from '../session.ts';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** The human-readable summary lines of a loaded bundle. */
export function describeBundle(bundle: LoadedBundle): string[] {
  const m = bundle.manifest;
  const diffusion = (d: { schedule: string; T: number; clip: boolean }) =>
    `${d.schedule} β, T=${d.T}, x0 clip ${d.clip ? 'on' : 'off'}`;
  const source = [
    m.source.kind,
    m.source.config,
    m.source.step !== undefined ? `step ${m.source.step}` : undefined,
  ]
    .filter((s) => s !== undefined)
    .join(', ');
  const files = Object.entries(m.files).filter(
    (e): e is [string, { path: string; bytes: number; sha256: string }] => e[1] !== undefined,
  );
  const total = files.reduce((n, [, f]) => n + f.bytes, 0);
  const lines = [
    `bundle        ${m.id}@${m.version}  (${bundle.dir})`,
    `description   ${m.description || '-'}`,
    `source        ${source}`,
    `image size    ${m.imageSize}×${m.imageSize}`,
    `z width       ${m.zDim}`,
    `weights       ${m.weightsDtype} storage, float32 compute`,
    `image DPM     ${diffusion(m.diffusion.image)}`,
    `latent DPM    ${m.diffusion.latent ? diffusion(m.diffusion.latent) : '- (no latent.onnx: no unconditional sampling)'}`,
    `defaults      inversion ${m.defaults.inversionSteps}, render ${m.defaults.renderSteps}, manipulate render ${m.defaults.manipulateRenderSteps}` +
      (m.defaults.latentSteps !== undefined ? `, latent ${m.defaults.latentSteps}` : '') +
      ' steps',
    `preview       ${m.preview ? `inversion ${m.preview.inversionSteps}, render ${m.preview.renderSteps} steps` : '- (no decoded previews)'}`,
    `attributes    ${m.attributes.length === 0 ? '- (no classifier)' : `${m.attributes.length}: ${m.attributes.join(', ')}`}`,
    `files         ${files.length}, ${size(total)}`,
    ...files.map(
      ([key, f]) =>
        `  ${key.padEnd(12)}${f.path.padEnd(22)} ${size(f.bytes).padStart(10)}  sha256 ${f.sha256.slice(0, 12)}…`,
    ),
  ];
  return lines;
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'summarise a model bundle (sizes, z width, attributes, defaults, files)',
  help: helpText(
    'diffae info --bundle DIR [--json] [--no-verify]',
    'Validates the bundle (manifest, file sizes, SHA-256, side files) and prints a summary.',
    `Options:
  --bundle DIR           model bundle folder                              [required]
  --json                 print the validated manifest as JSON instead
  --no-verify            skip the SHA-256 check of the bundle files
  -h, --help             show this help`,
    'Example:\n  diffae info --bundle bundles/facesynth64',
  ),
  options: { bundle: { type: 'string' }, json: { type: 'boolean' }, 'no-verify': { type: 'boolean' } },
  async run(args, io) {
    const bundle = await loadBundleFromArgs(args);
    if (flag(args, 'json')) io.out(JSON.stringify(bundle.manifest, null, 2));
    else for (const line of describeBundle(bundle)) io.out(line);
  },
};
