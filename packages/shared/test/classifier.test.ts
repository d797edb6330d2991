import { describe, expect, it } from 'vitest';
import {
  attributeScores,
  ClassifierFormatError,
  directionFromExamples,
  manipulateLatent,
  parseClassifierJson,
  resolveAttribute,
  UnknownAttributeError,
  unitDirection,
  withDirection,
} from '../src/classifier.ts';
import { tensor } from '../src/tensor.ts';

const json = {
  attributes: ['Smiling', 'No_Beard'],
  weight: [
    [1, 2, 2, 0], // norm 3
    [0, 3, 0, 4], // norm 5
  ],
  bias: [0.5, -1],
  zMean: [0.5, -1, 0, 2],
  zStd: [2, 0.5, 1, 4],
};
const cls = parseClassifierJson(json);
const z = tensor([2, 4], [1.5, 0, -2, 6, 0.1, 0.2, 0.3, 0.4]);

// PyTorch float32: ((z − μ)/σ + a·math.sqrt(512)·F.normalize(W[k][None], dim=1))·σ + μ
const TORCH_SMILING_03 = [
  6.02548360824585, 2.262741804122925, 2.5254836082458496, 6.0, 4.625483512878418, 2.4627418518066406,
  4.825483798980713, 0.3999999761581421,
];
const TORCH_SMILING_03_NOBEARD_M02 = [
  6.02548360824585, 0.9050966501235962, 2.5254836082458496, -8.481547355651855, 4.625483512878418,
  1.1050968170166016, 4.825483798980713, -14.081546783447266,
];

describe('parseClassifierJson', () => {
  it('builds float32 arrays with a row-major A×Z weight', () => {
    expect(cls.attributes).toEqual(['Smiling', 'No_Beard']);
    expect(Array.from(cls.weight)).toEqual([1, 2, 2, 0, 0, 3, 0, 4]);
    expect(cls.zStd).toBeInstanceOf(Float32Array);
  });

  it('reports inconsistent dimensions with their paths', () => {
    const bad = {
      ...json,
      weight: [
        [1, 2, 3, 4],
        [1, 2],
      ],
      bias: [0],
      zStd: [1, 1, 1],
    };
    let err: unknown;
    try {
      parseClassifierJson(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClassifierFormatError);
    const msg = (err as Error).message;
    expect(msg).toContain('weight[1]: expected 4 values');
    expect(msg).toContain('bias: expected 2 values');
    expect(msg).toContain('zStd: expected 4 values');
  });

  it('rejects non-numbers, zero std and duplicate names', () => {
    expect(() => parseClassifierJson({ ...json, zStd: [1, 0, 1, 1] })).toThrow(/zStd\[1\]/);
    expect(() => parseClassifierJson({ ...json, bias: [0, 'x'] })).toThrow(/bias\[1\]: .*expected number/);
    expect(() => parseClassifierJson({ ...json, attributes: ['A', 'A'] })).toThrow(
      /attributes: attribute names must be unique/,
    );
    expect(() => parseClassifierJson(null)).toThrow(/\(root\)/);
  });
});

describe('resolveAttribute', () => {
  it('maps exact names, and "Beard" to No_Beard with the sign flipped', () => {
    expect(resolveAttribute(cls, 'Smiling')).toEqual({ index: 0, attribute: 'Smiling', sign: 1 });
    expect(resolveAttribute(cls, 'No_Beard')).toEqual({ index: 1, attribute: 'No_Beard', sign: 1 });
    expect(resolveAttribute(cls, 'Beard')).toEqual({ index: 1, attribute: 'No_Beard', sign: -1 });
  });

  it('lists the valid names for an unknown attribute', () => {
    expect(() => resolveAttribute(cls, 'Hat')).toThrow(UnknownAttributeError);
    expect(() => resolveAttribute(cls, 'Hat')).toThrow(/Unknown attribute "Hat".*Smiling, No_Beard.*Beard/);
  });
});

describe('manipulateLatent', () => {
  it('matches an independent float64 hand computation of the recipe', () => {
    // Row 0: zn = (z − μ)/σ = [0.5, 2, −2, 1]; d = [1, 2, 2, 0]/3; step = 0.3·√512·d.
    const s = 0.3 * Math.sqrt(512);
    const zn = [0.5, 2, -2, 1].map((v, i) => v + (s * [1, 2, 2, 0][i]) / 3);
    const expected = zn.map((v, i) => v * json.zStd[i] + json.zMean[i]);
    const out = manipulateLatent(z, cls, { Smiling: 0.3 });
    expected.forEach((v, i) => {
      expect(out.data[i]).toBeCloseTo(v, 5);
    });
  });

  it('equals the PyTorch float32 reference bit for bit (one and two edits)', () => {
    expect(Array.from(manipulateLatent(z, cls, { Smiling: 0.3 }).data)).toEqual(TORCH_SMILING_03);
    expect(Array.from(manipulateLatent(z, cls, { Smiling: 0.3, No_Beard: -0.2 }).data)).toEqual(
      TORCH_SMILING_03_NOBEARD_M02,
    );
  });

  it('"Beard": a is the same edit as "No_Beard": −a', () => {
    expect(manipulateLatent(z, cls, { Beard: 0.2 }).data).toEqual(
      manipulateLatent(z, cls, { No_Beard: -0.2 }).data,
    );
  });

  it('no edits returns z up to float32 normalise/denormalise rounding', () => {
    const out = manipulateLatent(z, cls, {});
    z.data.forEach((v, i) => {
      expect(out.data[i]).toBeCloseTo(v, 6);
    });
  });

  it('rejects unknown attributes, bad amplitudes and wrong z widths', () => {
    expect(() => manipulateLatent(z, cls, { Hat: 0.1 })).toThrow(/Unknown attribute "Hat"/);
    expect(() => manipulateLatent(z, cls, { Smiling: Number.NaN })).toThrow(/finite/);
    expect(() => manipulateLatent(tensor([1, 3]), cls, { Smiling: 0.1 })).toThrow(
      /z must have shape \[\*, 4\]/,
    );
  });
});

describe('attributeScores', () => {
  it('computes W·((z − μ)/σ) + b', () => {
    const s = attributeScores(cls, z);
    expect(s.shape).toEqual([2, 2]);
    // row 0: zn = [0.5, 2, −2, 1]
    expect(s.data[0]).toBeCloseTo(0.5 + 4 - 4 + 0 + 0.5, 5);
    expect(s.data[1]).toBeCloseTo(0 + 6 + 0 + 4 - 1, 5);
  });
});

describe('custom directions', () => {
  it('directionFromExamples is the unit difference of normalised class means', () => {
    const mean = [0, 0, 0, 0];
    const std = [1, 2, 1, 1];
    const pos = [
      [1, 4, 0, 0],
      [3, 4, 0, 0],
    ];
    const neg = tensor([1, 4], [0, 0, 0, 0]);
    // normalised positive mean = [2, 2, 0, 0] → unit [1, 1, 0, 0]/√2
    const d = directionFromExamples(pos, neg, mean, std);
    expect(Array.from(d)).toEqual(Array.from(Float32Array.from([Math.SQRT1_2, Math.SQRT1_2, 0, 0])));
    expect(() => directionFromExamples(neg, neg, mean, std)).toThrow(/same normalised mean/);
    expect(() => directionFromExamples([], neg, mean, std)).toThrow(/positives needs at least one/);
  });

  it('withDirection adds a row that manipulateLatent uses like an attribute', () => {
    const d = Float32Array.from([0, 0, 0.6, 0.8]);
    const ext = withDirection(cls, 'custom', d);
    expect(ext.attributes).toEqual(['Smiling', 'No_Beard', 'custom']);
    expect(Array.from(unitDirection(ext, 2))).toEqual(Array.from(d));
    const out = manipulateLatent(z, ext, { custom: 0.1 });
    const s = Math.fround(0.1 * Math.sqrt(512));
    expect(out.data[2]).toBeCloseTo((-2 + s * 0.6) * 1 + 0, 5);
    expect(out.data[3]).toBeCloseTo((1 + s * 0.8) * 4 + 2, 5);
    expect(() => withDirection(cls, 'Smiling', d)).toThrow(/already exists/);
    expect(() => withDirection(cls, 'x', [1, 2])).toThrow(/expected 4/);
  });
});
