import { readFileSync } from 'node:fs';
import { encode as encodePngRaw } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import {
  applyExifOrientation,
  decodeImage,
  encodePng,
  ImageDecodeError,
  type ImageDecodeErrorCode,
  imageToTensor,
  quantizeUnit,
  type RgbImage,
  readExifOrientation,
  resizeShorterSideCenterCrop,
  roundHalfEven,
  tensorToImages,
} from '../src/image/index.ts';
import { pythonMissing, runPython } from './helpers/python.ts';

const PHOTO_PNG = '/work/shared/data/photos/imgs_interpolate_1_a.png';

function gradient(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i * 7) % 256;
    data[i * 3 + 1] = (i * 13 + 5) % 256;
    data[i * 3 + 2] = (i * 31 + 9) % 256;
  }
  return { width, height, data };
}

function expectDecodeError(bytes: Uint8Array, code: ImageDecodeErrorCode, options = {}): ImageDecodeError {
  try {
    decodeImage(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).code).toBe(code);
    return error as ImageDecodeError;
  }
  throw new Error(`expected ImageDecodeError ${code}`);
}

function encodeJpeg(img: RgbImage, quality = 100): Uint8Array {
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    rgba.set(img.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ width: img.width, height: img.height, data: rgba }, quality).data);
}

/** An APP1 Exif segment holding IFD0 with one entry: orientation, in the given byte order. */
function exifSegment(orientation: number, littleEndian: boolean): Uint8Array {
  const tiff = new DataView(new ArrayBuffer(8 + 2 + 12 + 4));
  tiff.setUint16(0, littleEndian ? 0x4949 : 0x4d4d);
  tiff.setUint16(2, 42, littleEndian);
  tiff.setUint32(4, 8, littleEndian);
  tiff.setUint16(8, 1, littleEndian);
  tiff.setUint16(10, 0x0112, littleEndian);
  tiff.setUint16(12, 3, littleEndian);
  tiff.setUint32(14, 1, littleEndian);
  tiff.setUint16(18, orientation, littleEndian);
  const payload = new Uint8Array([...Buffer.from('Exif\0\0'), ...new Uint8Array(tiff.buffer)]);
  const length = payload.length + 2;
  return new Uint8Array([0xff, 0xe1, length >> 8, length & 0xff, ...payload]);
}

function withExif(jpegBytes: Uint8Array, segment: Uint8Array): Uint8Array {
  return new Uint8Array([...jpegBytes.subarray(0, 2), ...segment, ...jpegBytes.subarray(2)]);
}

describe('decodeImage', () => {
  it('round-trips encodePng losslessly, also Adam7-interlaced', () => {
    const img = gradient(17, 9);
    expect(decodeImage(encodePng(img))).toEqual(img);
    const interlaced = encodePngRaw(
      { width: 17, height: 9, data: img.data, channels: 3, depth: 8 },
      { interlace: 'Adam7' },
    );
    expect(decodeImage(interlaced).data).toEqual(img.data);
  });

  it('decodes JPEG (jpeg-js) to RGB close to the source', () => {
    const img = gradient(16, 16);
    img.data.fill(120);
    const decoded = decodeImage(encodeJpeg(img));
    expect([decoded.width, decoded.height, decoded.data.length]).toEqual([16, 16, 16 * 16 * 3]);
    expect(Math.max(...decoded.data.map((v) => Math.abs(v - 120)))).toBeLessThanOrEqual(2);
  });

  it.each([true, false])('applies Exif orientations 1–8 (little-endian %s)', (little) => {
    const img = gradient(6, 4);
    const plain = encodeJpeg(img);
    const stored = decodeImage(plain);
    for (let o = 1; o <= 8; o++) {
      const segment = exifSegment(o, little);
      expect(readExifOrientation(segment.subarray(10))).toBe(o);
      const out = decodeImage(withExif(plain, segment));
      expect(out).toEqual(applyExifOrientation(stored, o as 1));
      expect([out.width, out.height]).toEqual(o >= 5 ? [4, 6] : [6, 4]);
    }
    expect(decodeImage(withExif(plain, exifSegment(6, little)), { applyExifOrientation: false })).toEqual(
      stored,
    );
  });

  it('ignores malformed or out-of-range orientation values', () => {
    const plain = encodeJpeg(gradient(6, 4));
    expect(decodeImage(withExif(plain, exifSegment(9, true)))).toEqual(decodeImage(plain));
    expect(readExifOrientation(new Uint8Array([0x49, 0x49, 42, 0, 200, 0, 0, 0]))).toBeUndefined();
  });

  it('orientation 6 rotates 90° clockwise', () => {
    // 2×1: left pixel red, right pixel blue → 1×2 with red on top.
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 0, 255]) };
    expect(Array.from(applyExifOrientation(img, 6).data)).toEqual([255, 0, 0, 0, 0, 255]);
    expect(applyExifOrientation(img, 8).data).toEqual(new Uint8Array([0, 0, 255, 255, 0, 0]));
  });

  it('refuses unknown formats and empty input', () => {
    expect(
      expectDecodeError(new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]), 'unsupported_format').message,
    ).toMatch(/expected PNG or JPEG/);
    expectDecodeError(new Uint8Array(), 'unsupported_format');
  });

  it('reports truncated PNG and JPEG files', () => {
    const png = readFileSync(PHOTO_PNG);
    expectDecodeError(png.subarray(0, png.length >> 1), 'truncated_image');
    expectDecodeError(png.subarray(0, 20), 'truncated_image');
    const jpg = encodeJpeg(gradient(32, 32), 90);
    expectDecodeError(jpg.subarray(0, jpg.length - 40), 'truncated_image');
  });

  it('reports corrupt PNG data (CRC) as corrupt_image', () => {
    const png = new Uint8Array(readFileSync(PHOTO_PNG));
    png[png.length - 100] ^= 0xff; // inside the last IDAT
    expectDecodeError(png, 'corrupt_image');
  });

  it('refuses oversized images from the header, before decoding', () => {
    const png = new Uint8Array(readFileSync(PHOTO_PNG));
    new DataView(png.buffer).setUint32(16, 100_000); // IHDR width; CRC now wrong, but never reached
    expect(expectDecodeError(png, 'image_too_large').message).toMatch(/100000×256/);
    const jpg = encodeJpeg(gradient(8, 8));
    const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
    jpg[sof + 5] = 0xea; // height 0xea60 = 60000
    jpg[sof + 6] = 0x60;
    expectDecodeError(jpg, 'image_too_large');
    expectDecodeError(readFileSync(PHOTO_PNG), 'image_too_large', { maxPixels: 256 * 255 });
    expectDecodeError(readFileSync(PHOTO_PNG), 'image_too_large', { maxSide: 255 });
    expect(decodeImage(readFileSync(PHOTO_PNG), { maxPixels: 256 * 256, maxSide: 256 }).width).toBe(256);
  });

  it('passes the memory cap to jpeg-js', () => {
    expectDecodeError(encodeJpeg(gradient(400, 400)), 'image_too_large', { maxMemoryMB: 0.1 });
  });
});

describe('preprocessing and tensors', () => {
  it('roundHalfEven is Python round', () => {
    expect([0.5, 1.5, 2.5, -0.4, 3.4, 3.6, 7].map(roundHalfEven)).toEqual([0, 2, 2, 0, 3, 4, 7]);
  });

  it('resizeShorterSideCenterCrop: shapes, skip when matching, half-to-even crop offset', () => {
    const img = gradient(8, 11); // shorter side already 8: no resize, crop top = round(1.5) = 2
    const out = resizeShorterSideCenterCrop(img, 8);
    expect([out.width, out.height]).toEqual([8, 8]);
    expect(out.data).toEqual(img.data.subarray(2 * 8 * 3, 10 * 8 * 3));
    const wide = resizeShorterSideCenterCrop(gradient(30, 20), 16);
    expect([wide.width, wide.height]).toEqual([16, 16]);
    const same = gradient(5, 5);
    expect(resizeShorterSideCenterCrop(same, 5)).toBe(same);
    expect(() => resizeShorterSideCenterCrop(same, 0)).toThrow(/positive integer/);
  });

  it('imageToTensor lays out NCHW in [−1, 1]', () => {
    const img: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 128, 255, 10, 20, 30]) };
    const t = imageToTensor(img);
    expect(t.shape).toEqual([1, 3, 1, 2]);
    expect(t.data[0]).toBe(-1);
    expect(t.data[4]).toBe(1);
    expect(t.data[2]).toBe(Math.fround(Math.fround(Math.fround(128 / 255) - 0.5) / 0.5));
    expect(t.data[1]).toBe(Math.fround(Math.fround(Math.fround(10 / 255) - 0.5) / 0.5));
  });

  it('tensorToImages rounds half up and clamps', () => {
    const t = { data: new Float32Array([0.5, -1, 2, Number.NaN, 0.001, 0.999]), shape: [1, 3, 1, 2] };
    const [img] = tensorToImages(t); // planar R = (0.5, −1), G = (2, NaN), B = (0.001, 0.999)
    expect(Array.from(img.data)).toEqual([128, 255, 0, 0, 0, 255]);
    expect(() => tensorToImages({ data: new Float32Array(4), shape: [1, 4, 1, 1] })).toThrow(
      /\[N, 3, H, W\]/,
    );
  });

  const numpyMissing = pythonMissing(['numpy']);
  it.skipIf(numpyMissing !== undefined)(
    'matches numpy float32 for ToTensor+Normalize and the saver rounding',
    () => {
      // A fine ramp plus every rounding boundary (k ± 0.5)/255, where float32 arithmetic decides.
      const ramp2001 = Array.from({ length: 2001 }, (_, i) => i / 2000 - 0.0005);
      const boundaries = Array.from({ length: 257 }, (_, k) => [(k - 0.5) / 255, (k + 0.5) / 255]).flat();
      const values = Float32Array.from([...ramp2001, ...boundaries]);
      const script = `
import sys, json, numpy as np
v = np.array(json.loads(sys.argv[1]), dtype=np.float32)
u = np.arange(256, dtype=np.uint8)
x = (u.astype(np.float32) / np.float32(255) - np.float32(0.5)) / np.float32(0.5)
q = np.clip(v * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)
print(json.dumps({"x": x.astype(float).tolist(), "q": q.astype(int).tolist()}))`;
      const ref = JSON.parse(runPython(script, [JSON.stringify(Array.from(values))])) as {
        x: number[];
        q: number[];
      };
      const ramp: RgbImage = { width: 256, height: 1, data: new Uint8Array(768) };
      for (let u = 0; u < 256; u++) ramp.data.fill(u, u * 3, u * 3 + 3);
      expect(Array.from(imageToTensor(ramp).data.subarray(0, 256))).toEqual(ref.x);
      expect(Array.from(values, quantizeUnit)).toEqual(ref.q);
    },
  );
});
