import { assertRgbImage, createRgbImage, type RgbImage } from './types.ts';

/**
 * PIL-compatible bilinear resampling (Pillow's Resample.c for 8-bit images): a triangle filter
 * whose support grows with the downscale factor (antialiasing), weights normalised per output
 * pixel and quantised to 22-bit fixed point, horizontal pass into an 8-bit intermediate first.
 */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

interface Coefficients {
  /** First input index per output index. */
  start: Int32Array;
  /** Number of taps per output index. */
  count: Int32Array;
  /** `taps` fixed-point weights per output index. */
  weights: Int32Array;
  taps: number;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Same arithmetic as Pillow's precompute_coeffs + normalize_coeffs_8bpc (float64 then rounding). */
function precomputeCoefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale; // bilinear support is 1
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const inverse = 1 / filterScale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      const w = triangle((x + xmin - center + 0.5) * inverse);
      k[x] = w;
      sum += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x] / sum : k[x];
      weights[xx * taps + x] = Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, taps };
}

function clip8(acc: number): number {
  if (acc >= ONE * 256) return 255;
  if (acc <= 0) return 0;
  return Math.floor(acc / ONE);
}

function resampleHorizontal(img: RgbImage, outWidth: number): RgbImage {
  const c = precomputeCoefficients(img.width, outWidth);
  const out = createRgbImage(outWidth, img.height);
  const src = img.data;
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const base = xx * c.taps;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < c.count[xx]; x++) {
        const w = c.weights[base + x];
        const s = row + (c.start[xx] + x) * 3;
        r += src[s] * w;
        g += src[s + 1] * w;
        b += src[s + 2] * w;
      }
      const o = (y * outWidth + xx) * 3;
      out.data[o] = clip8(r);
      out.data[o + 1] = clip8(g);
      out.data[o + 2] = clip8(b);
    }
  }
  return out;
}

function resampleVertical(img: RgbImage, outHeight: number): RgbImage {
  const c = precomputeCoefficients(img.height, outHeight);
  const out = createRgbImage(img.width, outHeight);
  const stride = img.width * 3;
  const src = img.data;
  for (let yy = 0; yy < outHeight; yy++) {
    const base = yy * c.taps;
    for (let i = 0; i < stride; i++) {
      let acc = HALF;
      for (let y = 0; y < c.count[yy]; y++) {
        acc += src[(c.start[yy] + y) * stride + i] * c.weights[base + y];
      }
      out.data[yy * stride + i] = clip8(acc);
    }
  }
  return out;
}

/** `Image.resize((width, height), Image.BILINEAR)` for an RGB image. */
export function resizeBilinear(img: RgbImage, width: number, height: number): RgbImage {
  assertRgbImage(img);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${width}×${height}`);
  }
  const horizontal = width !== img.width ? resampleHorizontal(img, width) : img;
  return height !== img.height ? resampleVertical(horizontal, height) : horizontal;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

export function cropImage(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height) {
    throw new RangeError(
      `crop ${width}×${height} at (${left}, ${top}) is outside the ${img.width}×${img.height} image`,
    );
  }
  const out = createRgbImage(width, height);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return out;
}

/**
 * The official preprocessing (facts §5): shorter side → S, longer side int(S·long/short), PIL
 * bilinear, skipped when the shorter side already is S; then a centre S×S crop at
 * round((H−S)/2), round((W−S)/2) with Python rounding.
 */
export function resizeShorterSideCenterCrop(img: RgbImage, size: number): RgbImage {
  assertRgbImage(img);
  if (!Number.isInteger(size) || size <= 0)
    throw new RangeError(`size must be a positive integer, got ${size}`);
  const { width: w, height: h } = img;
  let resized = img;
  const short = Math.min(w, h);
  if (short !== size) {
    const long = Math.trunc((size * Math.max(w, h)) / short);
    resized = w <= h ? resizeBilinear(img, size, long) : resizeBilinear(img, long, size);
  }
  const top = roundHalfEven((resized.height - size) / 2);
  const left = roundHalfEven((resized.width - size) / 2);
  if (top === 0 && left === 0 && resized.width === size && resized.height === size) return resized;
  return cropImage(resized, left, top, size, size);
}
