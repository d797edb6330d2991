import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManifestError, manifestSchema, parseManifest } from '../src/bundle/manifest.ts';

const sha = 'ab'.repeat(32);
const file = (path: string) => ({ path, sha256: sha, bytes: 1234 });

function validManifest(): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'facesynth64',
    version: '1.0.0',
    description: 'FaceSynth64 autoencoder',
    imageSize: 64,
    zDim: 256,
    source: { kind: 'trained', config: 'facesynth64_autoenc', step: 20000 },
    diffusion: {
      image: { schedule: 'linear', T: 1000, clip: true },
      latent: { schedule: 'const0.008', T: 1000, clip: false },
    },
    defaults: { inversionSteps: 250, renderSteps: 20, manipulateRenderSteps: 100, latentSteps: 200 },
    preview: { inversionSteps: 10, renderSteps: 10 },
    attributes: ['Smiling', 'No_Beard'],
    weightsDtype: 'float16',
    files: {
      encoder: file('encoder.onnx'),
      unet: file('unet.onnx'),
      latent: file('latent.onnx'),
      liteEncoder: file('lite_encoder.onnx'),
      classifier: file('classifier.json'),
      latentStats: file('latent_stats.json'),
    },
  };
}

function problemsOf(json: unknown): string[] {
  try {
    parseManifest(json);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    const err = e as ManifestError;
    for (const p of err.problems) expect(err.message).toContain(p);
    return [...err.problems];
  }
  throw new Error('expected parseManifest to throw');
}

describe('parseManifest', () => {
  it('accepts a complete manifest and a minimal one', () => {
    const m = parseManifest(validManifest());
    expect(m.files.unet.path).toBe('unet.onnx');
    expect(m.diffusion.latent?.schedule).toBe('const0.008');
    const minimal = validManifest();
    minimal.attributes = [];
    minimal.preview = undefined;
    minimal.diffusion = { image: { schedule: 'linear', T: 1000, clip: true } };
    minimal.defaults = { inversionSteps: 200, renderSteps: 20, manipulateRenderSteps: 100 };
    minimal.files = { encoder: file('encoder.onnx'), unet: file('unet.onnx') };
    expect(parseManifest(minimal).files.latent).toBeUndefined();
  });

  it('lists every problem as path: message', () => {
    const m = validManifest();
    m.schemaVersion = 2;
    m.id = 'Face Synth';
    m.imageSize = 64.5;
    (m.files as Record<string, unknown>).encoder = { path: '../encoder.onnx', sha256: 'xyz', bytes: -1 };
    const problems = problemsOf(m);
    expect(problems).toEqual(
      expect.arrayContaining([
        'schemaVersion: must be 1',
        'id: must match [a-z0-9][a-z0-9._-]*',
        expect.stringMatching(/^imageSize: .*int/i),
        'files.encoder.path: must not leave the bundle folder ("..")',
        'files.encoder.sha256: must be 64 lowercase hex digits (SHA-256)',
        expect.stringMatching(/^files\.encoder\.bytes: /),
      ]),
    );
    expect(problems.length).toBe(6);
  });

  it('validates step counts with the valid-K rule and names nearby values', () => {
    const m = validManifest();
    m.defaults = { inversionSteps: 37, renderSteps: 20, manipulateRenderSteps: 1, latentSteps: 150 };
    expect(problemsOf(m)).toEqual([
      'defaults.inversionSteps: 37 is not a valid DDIM step count for T=1000 (nearby valid: 35, 36, 38, 39)',
      'defaults.manipulateRenderSteps: 1 is not a valid DDIM step count for T=1000 (nearby valid: 2, 3)',
      'defaults.latentSteps: 150 is not a valid DDIM step count for T=1000 (nearby valid: 125, 143, 167, 200)',
    ]);
  });

  it('checks that optional parts come together', () => {
    const m = validManifest();
    (m.files as Record<string, unknown>).latentStats = undefined;
    (m.files as Record<string, unknown>).classifier = undefined;
    m.diffusion = { image: { schedule: 'linear', T: 1000, clip: true } };
    expect(problemsOf(m)).toEqual([
      'diffusion.latent: required when files.latent is present',
      'files.latentStats: required when files.latent is present',
      'files.classifier: required when attributes is not empty',
    ]);
  });

  it('rejects unknown keys, wrong enums, duplicate attributes and shared paths', () => {
    const m = validManifest();
    m.weightsDtype = 'int8';
    m.extra = true;
    m.attributes = ['Smiling', 'Smiling'];
    (m.files as Record<string, unknown>).unet = file('encoder.onnx');
    (m.diffusion as Record<string, unknown>).image = { schedule: 'cosine', T: 1000, clip: true };
    const problems = problemsOf(m);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\(root\): Unrecognized key: "extra"/),
        expect.stringMatching(/^weightsDtype: /),
        expect.stringMatching(/^diffusion\.image\.schedule: /),
      ]),
    );
    const m2 = validManifest();
    m2.attributes = ['Smiling', 'Smiling'];
    (m2.files as Record<string, unknown>).unet = file('encoder.onnx');
    expect(problemsOf(m2)).toEqual([
      'attributes[1]: duplicate attribute "Smiling"',
      'files.unet.path: "encoder.onnx" is also used by files.encoder',
    ]);
  });

  it('explains a non-object input', () => {
    expect(problemsOf('hello')).toEqual([expect.stringMatching(/^\(root\): .*expected object/)]);
  });
});

/** Keys of a zod object schema, looking through .optional(). */
function objectKeys(schema: unknown): string[] | null {
  const s = schema as { shape?: object; unwrap?: () => unknown };
  if (s.shape) return Object.keys(s.shape);
  return s.unwrap ? objectKeys(s.unwrap()) : null;
}

describe('docs/bundle-format.md', () => {
  it('documents every manifest field (nested objects by their dotted leaf names)', () => {
    const doc = readFileSync(new URL('../../../docs/bundle-format.md', import.meta.url), 'utf8');
    const fields = Object.entries(manifestSchema.shape).flatMap(([key, sub]) => {
      const nested = key === 'preview' ? null : objectKeys(sub);
      return nested ? nested.map((n) => `${key}.${n}`) : [key];
    });
    expect(fields.length).toBeGreaterThanOrEqual(24);
    expect(fields.filter((f) => !doc.includes(`\`${f}\``))).toEqual([]);
  });
});
