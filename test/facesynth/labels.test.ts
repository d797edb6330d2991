import type { FaceConfig } from 'facesjs';
import { describe, expect, it } from 'vitest';
import { HAIR_PALETTE } from '../../models/facesynth/face.ts';
import {
  ATTRIBUTE_NAMES,
  hairColorClass,
  labelFace,
  parseHexColor,
  rgbToHsl,
  skinTone,
} from '../../models/facesynth/labels.ts';

/** A complete hand-built face description with every optional feature off. */
function plainFace(): FaceConfig {
  return {
    fatness: 0.2,
    teamColors: ['#89bfd3', '#7a1319', '#07364f'],
    hairBg: { id: 'none' },
    body: { id: 'body', color: '#f2d6cb', size: 1 },
    jersey: { id: 'jersey' },
    ear: { id: 'ear1', size: 1 },
    head: { id: 'head1', shave: 'rgba(0,0,0,0)' },
    eyeLine: { id: 'none' },
    smileLine: { id: 'none', size: 1 },
    miscLine: { id: 'none' },
    facialHair: { id: 'none' },
    eye: { id: 'eye1', angle: 0 },
    eyebrow: { id: 'eyebrow1', angle: 0 },
    hair: { id: 'short', color: '#272421', flip: false },
    mouth: { id: 'straight', flip: false },
    nose: { id: 'nose1', flip: false, size: 1 },
    glasses: { id: 'none' },
    accessories: { id: 'none' },
  };
}

function labelsOf(face: FaceConfig, gender: 'male' | 'female' = 'female'): Record<string, number> {
  const vector = labelFace(face, gender);
  return Object.fromEntries(ATTRIBUTE_NAMES.map((name, i) => [name, vector[i]]));
}

describe('labelFace', () => {
  it('gives one 0/1 entry per attribute, names unique', () => {
    const vector = labelFace(plainFace(), 'male');
    expect(vector.length).toBe(ATTRIBUTE_NAMES.length);
    expect(new Set(ATTRIBUTE_NAMES).size).toBe(ATTRIBUTE_NAMES.length);
    expect([...vector].every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('labels a plain female face with only its hair colour and skin band', () => {
    const on = Object.entries(labelsOf(plainFace()))
      .filter(([, v]) => v === 1)
      .map(([k]) => k);
    expect(on.sort()).toEqual(['Black_Hair', 'Light_Skin']);
  });

  it('Male follows the generation gender', () => {
    expect(labelsOf(plainFace(), 'male').Male).toBe(1);
    expect(labelsOf(plainFace(), 'female').Male).toBe(0);
  });

  it.each(['glasses1-primary', 'glasses2-black', 'facemask'])('glasses id %s → Eyeglasses', (id) => {
    const face = plainFace();
    face.glasses.id = id;
    expect(labelsOf(face).Eyeglasses).toBe(1);
  });

  it.each(['goatee1', 'mustache-thin', 'beard3', 'sideburns1'])('facial hair id %s → Facial_Hair', (id) => {
    const face = plainFace();
    face.facialHair.id = id;
    expect(labelsOf(face).Facial_Hair).toBe(1);
  });

  it('hats count as Wearing_Hat, headbands and eye black do not', () => {
    for (const [id, expected] of [
      ['hat', 1],
      ['hat2', 1],
      ['hat3', 1],
      ['santa-hat', 1],
      ['headband', 0],
      ['headband-high', 0],
      ['eye-black', 0],
    ] as const) {
      const face = plainFace();
      face.accessories.id = id;
      expect(labelsOf(face).Wearing_Hat, id).toBe(expected);
    }
  });

  it('Smiling follows the mouth id', () => {
    for (const [id, expected] of [
      ['smile', 1],
      ['smile-closed', 1],
      ['smile4', 1],
      ['mouth3', 1],
      ['mouth8', 1],
      ['straight', 0],
      ['angry', 0],
      ['closed', 0],
      ['mouth7', 0],
      ['side', 0],
    ] as const) {
      const face = plainFace();
      face.mouth.id = id;
      expect(labelsOf(face).Smiling, id).toBe(expected);
    }
  });

  it('Bald for bald hair ids, but not under a hat (the scalp is hidden)', () => {
    const face = plainFace();
    face.hair.id = 'bald';
    expect(labelsOf(face, 'male').Bald).toBe(1);
    face.hair.id = 'short-bald';
    expect(labelsOf(face, 'male').Bald).toBe(1);
    face.accessories.id = 'hat';
    expect(labelsOf(face, 'male').Bald).toBe(0);
    face.accessories.id = 'none';
    face.hair.id = 'short-fade';
    expect(labelsOf(face, 'male').Bald).toBe(0);
  });

  it('Chubby from fatness ≥ 0.6', () => {
    const face = plainFace();
    face.fatness = 0.59;
    expect(labelsOf(face).Chubby).toBe(0);
    face.fatness = 0.6;
    expect(labelsOf(face).Chubby).toBe(1);
  });

  it('hair colour and skin tone classes are one-hot', () => {
    const face = plainFace();
    for (const color of Object.values(HAIR_PALETTE).flat()) {
      face.hair.color = color;
      const l = labelsOf(face);
      expect(l.Black_Hair + l.Brown_Hair + l.Blond_Hair + l.Red_Hair + l.Gray_Hair, color).toBe(1);
      expect(l.Light_Skin + l.Medium_Skin + l.Dark_Skin).toBe(1);
    }
  });
});

describe('colour rules', () => {
  it('classifies every facesjs hair colour as documented', () => {
    const expected: Record<string, string> = {
      '#272421': 'Black_Hair',
      '#0f0902': 'Black_Hair',
      '#1c1008': 'Black_Hair',
      '#2C1608': 'Black_Hair',
      '#3D2314': 'Brown_Hair',
      '#5A3825': 'Brown_Hair',
      '#CC9966': 'Brown_Hair',
      '#e9c67b': 'Blond_Hair',
      '#D7BF91': 'Blond_Hair',
      '#B55239': 'Red_Hair',
      '#8e8e8e': 'Gray_Hair',
      '#dcdcdc': 'Gray_Hair',
    };
    for (const [hex, cls] of Object.entries(expected)) expect(hairColorClass(hex), hex).toBe(cls);
    for (const [cls, colors] of Object.entries(HAIR_PALETTE))
      for (const hex of colors) expect(hairColorClass(hex), hex).toBe(cls);
  });

  it('bands every facesjs skin colour by luminance', () => {
    const light = ['#f2d6cb', '#ddb7a0', '#fedac7', '#f0c5a3', '#eab687'];
    const medium = ['#bb876f', '#aa816f', '#a67358', '#ad6453'];
    const dark = ['#74453d', '#5c3937'];
    for (const hex of light) expect(skinTone(hex), hex).toBe('Light_Skin');
    for (const hex of medium) expect(skinTone(hex), hex).toBe('Medium_Skin');
    for (const hex of dark) expect(skinTone(hex), hex).toBe('Dark_Skin');
  });

  it('converts RGB to HSL', () => {
    expect(rgbToHsl({ r: 255, g: 0, b: 0 })).toEqual({ h: 0, s: 1, l: 0.5 });
    const { h, s, l } = rgbToHsl(parseHexColor('#CC9966'));
    expect([h, s, l]).toEqual([30, 0.5, 0.6]);
  });

  it('rejects colours that are not #rrggbb with a clear message', () => {
    expect(() => hairColorClass('red')).toThrow(/#a1b2c3.*"red"/);
    expect(() => skinTone('#fff')).toThrow(/expected a colour/);
  });
});
