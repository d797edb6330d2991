/** facesjs face → SVG (square crop around the head) → RGB uint8 pixels via resvg. */
import { Resvg } from '@resvg/resvg-js';
import type { FaceConfig } from 'facesjs';
import { faceToSvgString } from 'facesjs';

/** facesjs draws every face into this viewBox. */
const FACESJS_VIEWBOX = 'viewBox="0 0 400 600"';

export interface RenderOptions {
  /** output width = height in pixels */
  size: number;
  /** square crop in facesjs SVG units; may extend past the 400×600 canvas (filled with background) */
  crop: { x: number; y: number; side: number };
  /** CSS colour composited under the face */
  background: string;
  /** render at size·supersample and box-average down (1 = resvg's own antialiasing only) */
  supersample: number;
}

export const DEFAULT_RENDER: Readonly<RenderOptions> = {
  size: 64,
  crop: { x: -40, y: 15, side: 480 },
  background: '#ffffff',
  supersample: 4,
};

/** SVG string of the face with its viewBox replaced by the square crop. Does not mutate `face`. */
export function faceToCroppedSvg(
  face: FaceConfig,
  crop: RenderOptions['crop'] = DEFAULT_RENDER.crop,
): string {
  // faceToSvgString mutates its argument (e.g. swaps hair ids under hats), so render a copy.
  const svg = faceToSvgString(structuredClone(face));
  if (!svg.includes(FACESJS_VIEWBOX)) {
    throw new Error(`facesjs SVG lacks ${FACESJS_VIEWBOX}; the crop assumes facesjs 5's canvas`);
  }
  const { x, y, side } = crop;
  return svg
    .replace(FACESJS_VIEWBOX, `viewBox="${x} ${y} ${side} ${side}"`)
    .replace('width="100%"', `width="${side}"`)
    .replace('height="100%"', `height="${side}"`);
}

/** Rasterises an SVG to opaque RGB (row-major [size, size, 3]). */
export function renderSvgToRgb(
  svg: string,
  options: Pick<RenderOptions, 'size' | 'background' | 'supersample'>,
): Uint8Array {
  const { size, background, supersample } = options;
  if (!Number.isInteger(size) || size <= 0)
    throw new RangeError(`size must be a positive integer, got ${size}`);
  if (!Number.isInteger(supersample) || supersample < 1) {
    throw new RangeError(`supersample must be an integer >= 1, got ${supersample}`);
  }
  const big = size * supersample;
  const image = new Resvg(svg, {
    fitTo: { mode: 'width', value: big },
    background,
    font: { loadSystemFonts: false },
  }).render();
  if (image.width !== big || image.height !== big) {
    throw new Error(
      `resvg produced ${image.width}×${image.height}, expected ${big}×${big} (is the SVG square?)`,
    );
  }
  return boxDownsampleRgba(image.pixels, big, supersample);
}

/** Averages factor×factor blocks of an opaque RGBA image into RGB, rounding to nearest. */
export function boxDownsampleRgba(rgba: Uint8Array, width: number, factor: number): Uint8Array {
  const out = width / factor;
  if (!Number.isInteger(out)) throw new RangeError(`width ${width} is not a multiple of ${factor}`);
  if (rgba.length !== width * width * 4)
    throw new RangeError(`expected ${width * width * 4} RGBA bytes, got ${rgba.length}`);
  const rgb = new Uint8Array(out * out * 3);
  const area = factor * factor;
  for (let oy = 0; oy < out; oy++) {
    for (let ox = 0; ox < out; ox++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < factor; dy++) {
        let i = ((oy * factor + dy) * width + ox * factor) * 4;
        for (let dx = 0; dx < factor; dx++, i += 4) {
          r += rgba[i];
          g += rgba[i + 1];
          b += rgba[i + 2];
        }
      }
      const o = (oy * out + ox) * 3;
      rgb[o] = Math.round(r / area);
      rgb[o + 1] = Math.round(g / area);
      rgb[o + 2] = Math.round(b / area);
    }
  }
  return rgb;
}

export function renderFace(face: FaceConfig, options: RenderOptions = DEFAULT_RENDER): Uint8Array {
  return renderSvgToRgb(faceToCroppedSvg(face, options.crop), options);
}
