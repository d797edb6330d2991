import type { DecodedPng } from 'fast-png';
import { decode as decodePngRaw, encode as encodePngRaw } from 'fast-png';
import { ImageDecodeError } from './errors.ts';
import { assertPngComplete, type PngHeader } from './png-header.ts';
import { assertRgbImage, createRgbImage, type RgbImage } from './types.ts';

const COLOR_TYPE_PALETTE = 3;

/** Unpacked sample values of one row for bit depths 1, 2, 4 (rows are padded to whole bytes). */
function unpackLowDepth(png: DecodedPng): Uint8Array {
  const { width, height, depth } = png;
  const packed = png.data as Uint8Array;
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      out[y * width + x] = (byte >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Samples as 8-bit values (16-bit keeps its high byte, like PIL's 16-bit RGB modes). */
function samplesAs8Bit(png: DecodedPng, isPalette: boolean): Uint8Array {
  if (png.depth === 16) {
    const wide = png.data as Uint16Array;
    const out = new Uint8Array(wide.length);
    for (let i = 0; i < wide.length; i++) out[i] = wide[i] >> 8;
    return out;
  }
  if (png.depth === 8) return png.data as Uint8Array;
  const values = unpackLowDepth(png);
  if (!isPalette) {
    const scale = 255 / ((1 << png.depth) - 1);
    for (let i = 0; i < values.length; i++) values[i] = values[i] * scale;
  }
  return values;
}

function toRgb(png: DecodedPng, isPalette: boolean): RgbImage {
  const samples = samplesAs8Bit(png, isPalette);
  const img = createRgbImage(png.width, png.height);
  const n = png.width * png.height;
  const out = img.data;
  if (isPalette) {
    const palette = png.palette;
    if (!palette)
      throw new ImageDecodeError('corrupt_image', 'PNG is corrupt: indexed colour without a PLTE chunk');
    for (let i = 0; i < n; i++) {
      const entry = palette[samples[i]];
      if (!entry)
        throw new ImageDecodeError(
          'corrupt_image',
          `PNG is corrupt: palette index ${samples[i]} out of range`,
        );
      out[i * 3] = entry[0];
      out[i * 3 + 1] = entry[1];
      out[i * 3 + 2] = entry[2];
    }
    return img;
  }
  const channels = png.channels;
  const colour = channels >= 3; // RGB / RGBA; otherwise grey / grey+alpha. Alpha is dropped.
  for (let i = 0; i < n; i++) {
    const s = i * channels;
    out[i * 3] = samples[s];
    out[i * 3 + 1] = colour ? samples[s + 1] : samples[s];
    out[i * 3 + 2] = colour ? samples[s + 2] : samples[s];
  }
  return img;
}

export function decodePngToRgb(bytes: Uint8Array, header: PngHeader): RgbImage {
  assertPngComplete(bytes);
  if (header.interlaced && header.bitDepth < 8) {
    throw new ImageDecodeError(
      'unsupported_format',
      `interlaced PNG with bit depth ${header.bitDepth} is not supported; re-save it non-interlaced or at 8 bits`,
    );
  }
  let png: DecodedPng;
  try {
    png = decodePngRaw(bytes, { checkCrc: true });
  } catch (cause) {
    throw new ImageDecodeError('corrupt_image', `PNG is corrupt: ${(cause as Error).message}`, { cause });
  }
  try {
    return toRgb(png, header.colorType === COLOR_TYPE_PALETTE);
  } catch (cause) {
    if (cause instanceof ImageDecodeError) throw cause;
    throw new ImageDecodeError('corrupt_image', `PNG is corrupt: ${(cause as Error).message}`, { cause });
  }
}

/** 8-bit RGB PNG. */
export function encodePng(img: RgbImage): Uint8Array {
  assertRgbImage(img);
  return encodePngRaw({ width: img.width, height: img.height, data: img.data, channels: 3, depth: 8 });
}
