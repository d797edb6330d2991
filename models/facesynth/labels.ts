/**
 * Pure label rules: a facesjs face description (+ the gender it was generated with) → binary
 * attribute vector. Feature ids are the ones in facesjs 5.0.3 (`svgsIndex`).
 */
import type { FaceConfig, Gender } from 'facesjs';

/** Accessory ids that are hats; facesjs itself hides or shortens the hair under exactly these. */
export const HAT_ACCESSORY_IDS: readonly string[] = ['hat', 'hat2', 'hat3', 'santa-hat'];

/** Hair ids with a bare scalp on top ('bald': no hair; 'short-bald': hair on the sides only). */
export const BALD_HAIR_IDS: readonly string[] = ['bald', 'short-bald'];

/** Mouth ids whose corners turn up (judged from the rendered facesjs mouths; see the doc). */
export const SMILING_MOUTH_IDS: readonly string[] = [
  'smile',
  'smile-closed',
  'smile2',
  'smile3',
  'smile4',
  'mouth3',
  'mouth8',
];

/** fatness ≥ this (facesjs range: female [0, 0.4], male [0, 1]) counts as Chubby. */
export const CHUBBY_FATNESS = 0.6;

export const HAIR_COLOR_CLASSES = [
  'Black_Hair',
  'Brown_Hair',
  'Blond_Hair',
  'Red_Hair',
  'Gray_Hair',
] as const;
export type HairColorClass = (typeof HAIR_COLOR_CLASSES)[number];

export const SKIN_TONE_CLASSES = ['Light_Skin', 'Medium_Skin', 'Dark_Skin'] as const;
export type SkinToneClass = (typeof SKIN_TONE_CLASSES)[number];

/** Relative-luminance band edges of the skin colour (facesjs skins fall in clear gaps around these). */
export const SKIN_LUMINANCE_LIGHT_MIN = 0.4;
export const SKIN_LUMINANCE_DARK_MAX = 0.13;

export interface AttributeDefinition {
  name: string;
  definition: string;
}

export const ATTRIBUTES: readonly AttributeDefinition[] = [
  { name: 'Male', definition: "generated with facesjs option gender: 'male'" },
  { name: 'Eyeglasses', definition: "glasses.id !== 'none' (glasses1-*, glasses2-*, facemask goggles)" },
  { name: 'Facial_Hair', definition: "facialHair.id !== 'none' (beards, goatees, moustaches, sideburns)" },
  { name: 'Wearing_Hat', definition: `accessories.id in {${HAT_ACCESSORY_IDS.join(', ')}}` },
  { name: 'Smiling', definition: `mouth.id in {${SMILING_MOUTH_IDS.join(', ')}}` },
  { name: 'Bald', definition: `hair.id in {${BALD_HAIR_IDS.join(', ')}} and not Wearing_Hat` },
  { name: 'Chubby', definition: `fatness >= ${CHUBBY_FATNESS}` },
  ...HAIR_COLOR_CLASSES.map((name) => ({
    name,
    definition: `hairColorClass(hair.color) === '${name}' (HSL rule)`,
  })),
  ...SKIN_TONE_CLASSES.map((name) => ({
    name,
    definition: `skinTone(body.color) === '${name}' (luminance bands)`,
  })),
];

export const ATTRIBUTE_NAMES: readonly string[] = ATTRIBUTES.map((a) => a.name);

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export function parseHexColor(hex: string): Rgb {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match) throw new Error(`expected a colour like #a1b2c3, got ${JSON.stringify(hex)}`);
  const value = Number.parseInt(match[1], 16);
  return { r: (value >> 16) & 255, g: (value >> 8) & 255, b: value & 255 };
}

/** HSL with hue in degrees [0, 360), saturation and lightness in [0, 1]. */
export function rgbToHsl({ r, g, b }: Rgb): { h: number; s: number; l: number } {
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2 / 255;
  const delta = max - min;
  if (delta === 0) return { h: 0, s: 0, l };
  const s = delta / (255 - Math.abs(max + min - 255));
  let h: number;
  if (max === r) h = ((g - b) / delta + 6) % 6;
  else if (max === g) h = (b - r) / delta + 2;
  else h = (r - g) / delta + 4;
  return { h: h * 60, s, l };
}

/** WCAG relative luminance of an sRGB colour, in [0, 1]. */
export function relativeLuminance({ r, g, b }: Rgb): number {
  const linear = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/**
 * First matching rule wins: Black (L < 0.15), Gray (S < 0.15), Red (hue < 17° or ≥ 340°, S ≥ 0.35),
 * Blond (L ≥ 0.55, hue in [35°, 65°]), otherwise Brown.
 */
export function hairColorClass(hex: string): HairColorClass {
  const { h, s, l } = rgbToHsl(parseHexColor(hex));
  if (l < 0.15) return 'Black_Hair';
  if (s < 0.15) return 'Gray_Hair';
  if ((h < 17 || h >= 340) && s >= 0.35) return 'Red_Hair';
  if (l >= 0.55 && h >= 35 && h <= 65) return 'Blond_Hair';
  return 'Brown_Hair';
}

export function skinTone(hex: string): SkinToneClass {
  const y = relativeLuminance(parseHexColor(hex));
  if (y >= SKIN_LUMINANCE_LIGHT_MIN) return 'Light_Skin';
  if (y < SKIN_LUMINANCE_DARK_MAX) return 'Dark_Skin';
  return 'Medium_Skin';
}

export function isWearingHat(face: FaceConfig): boolean {
  return HAT_ACCESSORY_IDS.includes(face.accessories.id);
}

/** Label vector (0/1 per entry of ATTRIBUTES, same order) of a face as generated (before rendering). */
export function labelFace(face: FaceConfig, gender: Gender): Uint8Array {
  const hat = isWearingHat(face);
  const hair = hairColorClass(face.hair.color);
  const skin = skinTone(face.body.color);
  const flags: Record<string, boolean> = {
    Male: gender === 'male',
    Eyeglasses: face.glasses.id !== 'none',
    Facial_Hair: face.facialHair.id !== 'none',
    Wearing_Hat: hat,
    Smiling: SMILING_MOUTH_IDS.includes(face.mouth.id),
    Bald: !hat && BALD_HAIR_IDS.includes(face.hair.id),
    Chubby: face.fatness >= CHUBBY_FATNESS,
  };
  for (const name of HAIR_COLOR_CLASSES) flags[name] = hair === name;
  for (const name of SKIN_TONE_CLASSES) flags[name] = skin === name;
  return Uint8Array.from(ATTRIBUTE_NAMES, (name) => {
    if (!(name in flags)) throw new Error(`no rule for attribute ${name}`);
    return flags[name] ? 1 : 0;
  });
}
