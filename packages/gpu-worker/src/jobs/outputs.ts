/** Shared output steps: image tensors → numbered PNGs. */
import { tensorToImages } from '../../../shared/src/image/convert.ts';
import type { RgbImage } from '../../../shared/src/image/types.ts';
import type { Tensor } from '../../../shared/src/tensor.ts';
import type { JobContext } from './context.ts';

/** Writes `{stem}_{i}.png` for every image of [N,3,S,S] in [0,1] (or `{stem}.png` when `single`). */
export async function writeImages(
  ctx: JobContext,
  stem: string,
  images: Tensor,
  single = false,
): Promise<RgbImage[]> {
  const rgb = tensorToImages(images);
  const digits = String(Math.max(rgb.length - 1, 0)).length < 2 ? 2 : String(rgb.length - 1).length;
  for (let i = 0; i < rgb.length; i++) {
    const name = single ? `${stem}.png` : `${stem}_${String(i).padStart(digits, '0')}.png`;
    await ctx.results.png(name, rgb[i]);
  }
  return rgb;
}

export function stepsOr(value: number | undefined, fallback: number): number {
  return value ?? fallback;
}
