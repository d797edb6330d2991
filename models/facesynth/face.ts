/**
 * Seeded sampling of one facesjs face. facesjs's own distribution is kept except for two
 * documented biases that lift rare attributes above ~5% (see docs/models/facesynth64-dataset.md).
 */

import type { FaceConfig, Gender, Race } from 'facesjs';
import { generate } from 'facesjs';
import type { HairColorClass } from './labels.ts';
import { BALD_HAIR_IDS, HAIR_COLOR_CLASSES } from './labels.ts';
import { pick, rngForSeed, withMathRandom } from './random.ts';

export const RACES: readonly Race[] = ['white', 'black', 'brown', 'asian'];

/**
 * Hair colours used when the colour is re-drawn by class: the facesjs race palettes (v5.0.3,
 * generate.js `colors`) grouped by `hairColorClass`, plus neutral greys facesjs lacks.
 */
export const HAIR_PALETTE: Readonly<Record<HairColorClass, readonly string[]>> = {
  Black_Hair: ['#272421', '#0f0902', '#1c1008', '#2C1608'],
  Brown_Hair: ['#3D2314', '#5A3825', '#CC9966'],
  Blond_Hair: ['#e9c67b', '#D7BF91'],
  Red_Hair: ['#B55239'],
  Gray_Hair: ['#8e8e8e', '#a9a9a9', '#c4c4c4', '#dcdcdc'],
};

export const GENERATION_OPTIONS = {
  maleProbability: 0.5,
  /** probability that a male's hair id is replaced by one of BALD_HAIR_IDS */
  maleBaldProbability: 0.12,
  /** probability that the race-palette hair colour is replaced by a class-uniform draw from HAIR_PALETTE */
  hairColorRedrawProbability: 0.4,
} as const;

export interface SampledFace {
  seed: number;
  gender: Gender;
  race: Race;
  face: FaceConfig;
}

export function sampleFace(seed: number): SampledFace {
  const rng = rngForSeed(seed);
  const gender: Gender = rng() < GENERATION_OPTIONS.maleProbability ? 'male' : 'female';
  const race = pick(rng, RACES);
  const face = withMathRandom(rng, () => generate(undefined, { gender, race }));
  if (gender === 'male' && rng() < GENERATION_OPTIONS.maleBaldProbability) {
    face.hair.id = pick(rng, BALD_HAIR_IDS);
  }
  if (rng() < GENERATION_OPTIONS.hairColorRedrawProbability) {
    face.hair.color = pick(rng, HAIR_PALETTE[pick(rng, HAIR_COLOR_CLASSES)]);
  }
  return { seed, gender, race, face };
}
