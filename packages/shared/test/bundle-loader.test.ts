import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleError, type BundleErrorCode, loadBundle, openBundleBackend } from '../src/node/index.ts';
import { pythonMissing } from './helpers/python.ts';
import { tinyMath, writeTinyModels } from './helpers/tiny-models.ts';

const S = 8;
const Z = 4;

function fileEntry(path: string) {
  const bytes = readFileSync(path);
  return {
    path: basename(path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
  };
}

/** A complete tiny bundle: the four graphs, classifier.json, latent_stats.json and manifest.json. */
function writeTinyBundle(dir: string): void {
  const models = writeTinyModels(dir, S, Z);
  const zMean = [0.1, -0.2, 0.3, 0];
  writeFileSync(
    join(dir, 'classifier.json'),
    JSON.stringify({
      attributes: ['Smiling', 'Eyeglasses'],
      weight: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
      ],
      bias: [0, 0.5],
      zMean,
      zStd: [1, 2, 1, 1],
    }),
  );
  writeFileSync(join(dir, 'latent_stats.json'), JSON.stringify({ zMean, zStd: [1, 1, 1, 2] }));
  const manifest = {
    schemaVersion: 1,
    id: 'tiny-test',
    version: '0.0.1',
    description: 'tiny contract models for tests',
    imageSize: S,
    zDim: Z,
    source: { kind: 'random' },
    diffusion: {
      image: { schedule: 'linear', T: 1000, clip: true },
      latent: { schedule: 'const0.008', T: 1000, clip: false },
    },
    defaults: { inversionSteps: 250, renderSteps: 20, manipulateRenderSteps: 100, latentSteps: 200 },
    attributes: ['Smiling', 'Eyeglasses'],
    weightsDtype: 'float32',
    files: {
      encoder: fileEntry(models.encoder),
      unet: fileEntry(models.unet),
      latent: fileEntry(models.latent),
      liteEncoder: fileEntry(models.liteEncoder),
      classifier: fileEntry(join(dir, 'classifier.json')),
      latentStats: fileEntry(join(dir, 'latent_stats.json')),
    },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

async function expectBundleError(
  dir: string,
  code: BundleErrorCode,
  message: RegExp,
  verify = true,
): Promise<void> {
  const error = await loadBundle(dir, { verify }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BundleError);
  expect((error as BundleError).code).toBe(code);
  expect((error as BundleError).message).toMatch(message);
}

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary manifest fields
type ManifestJson = Record<string, any>;

const missing = pythonMissing(['onnx', 'numpy']);
describe.skipIf(missing !== undefined)('loadBundle / openBundleBackend', () => {
  let root = '';
  let good = '';
  let n = 0;
  /** A fresh copy of the good bundle to break. */
  const copy = () => {
    const dir = join(root, `case${n++}`);
    cpSync(good, dir, { recursive: true });
    return dir;
  };
  const editManifest = (dir: string, edit: (m: ManifestJson) => void) => {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'diffae-bundle-'));
    good = join(root, 'good');
    mkdirSync(good);
    writeTinyBundle(good);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('loads a valid bundle with resolved paths and parsed side files', async () => {
    const bundle = await loadBundle(good);
    expect(bundle.dir).toBe(good);
    expect(bundle.manifest.id).toBe('tiny-test');
    expect(bundle.files.unet).toBe(join(good, 'unet.onnx'));
    expect(bundle.files.latentStats).toBe(join(good, 'latent_stats.json'));
    expect(bundle.classifier?.attributes).toEqual(['Smiling', 'Eyeglasses']);
    expect(Array.from(bundle.latentStats?.zStd ?? [])).toEqual([1, 1, 1, 2]);
  });

  it.each(['node', 'web'] as const)(
    'openBundleBackend(runtime=%s) runs the bundle graphs',
    async (runtime) => {
      const bundle = await loadBundle(good, { verify: false });
      const backend = await openBundleBackend(bundle, { runtime, threads: 1 });
      try {
        const x = {
          data: Float32Array.from({ length: 2 * 3 * S * S }, (_, i) => Math.sin(i)),
          shape: [2, 3, S, S],
        };
        expect(Array.from((await backend.encode(x)).data).map((v) => +v.toFixed(5))).toEqual(
          tinyMath.encode(x, Z).map((v) => +v.toFixed(5)),
        );
        expect(backend.latentEps).toBeDefined();
        expect(backend.liteEncode).toBeDefined();
        expect(backend.backendInfo().name).toBe(runtime === 'node' ? 'ort-node' : 'ort-web');
      } finally {
        await backend.dispose();
      }
    },
  );

  it('a flipped byte is a sha256 mismatch naming the file; verify=false skips hashing', async () => {
    const dir = copy();
    const path = join(dir, 'unet.onnx');
    const bytes = readFileSync(path);
    bytes[bytes.length - 3] ^= 0x01;
    writeFileSync(path, bytes);
    await expectBundleError(
      dir,
      'sha256_mismatch',
      /"unet\.onnx" is corrupt: sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/,
    );
    expect((await loadBundle(dir, { verify: false })).files.unet).toBe(path);
  });

  it('a missing or resized file is reported', async () => {
    const dir = copy();
    unlinkSync(join(dir, 'latent.onnx'));
    await expectBundleError(dir, 'file_missing', /files\.latent "latent\.onnx" is missing/, false);
    const dir2 = copy();
    writeFileSync(
      join(dir2, 'encoder.onnx'),
      Buffer.concat([readFileSync(join(dir2, 'encoder.onnx')), Buffer.from([0])]),
    );
    await expectBundleError(
      dir2,
      'size_mismatch',
      /"encoder\.onnx" has \d+ bytes, the manifest says \d+/,
      false,
    );
  });

  it('manifest problems: missing, not JSON, invalid schema', async () => {
    const dir = copy();
    unlinkSync(join(dir, 'manifest.json'));
    await expectBundleError(dir, 'manifest_missing', /no manifest\.json/);
    writeFileSync(join(dir, 'manifest.json'), '{ not json');
    await expectBundleError(dir, 'manifest_invalid', /manifest\.json: .*JSON/);
    const dir2 = copy();
    editManifest(dir2, (m) => {
      m.imageSize = 0;
      m.files.unet.path = '../unet.onnx';
    });
    await expectBundleError(dir2, 'manifest_invalid', /Invalid bundle manifest/);
  });

  it('side files must parse and agree with the manifest', async () => {
    const dir = copy();
    writeFileSync(join(dir, 'latent_stats.json'), JSON.stringify({ zMean: [0, 0, 0], zStd: [1, 1, 1] }));
    editManifest(dir, (m) => {
      m.files.latentStats = fileEntry(join(dir, 'latent_stats.json'));
    });
    await expectBundleError(dir, 'side_file_invalid', /latent stats have 3 values, manifest zDim is 4/);
    const dir2 = copy();
    writeFileSync(join(dir2, 'classifier.json'), JSON.stringify({ attributes: ['Smiling'] }));
    editManifest(dir2, (m) => {
      m.files.classifier = fileEntry(join(dir2, 'classifier.json'));
    });
    await expectBundleError(dir2, 'side_file_invalid', /classifier\.json: Invalid classifier\.json/);
  });
});
