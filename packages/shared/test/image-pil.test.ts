/** Cross-checks decoding, resizing and orientation against real PIL output generated at test time. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyExifOrientation,
  decodeImage,
  type ExifOrientation,
  type RgbImage,
  readExifOrientation,
  resizeBilinear,
  resizeShorterSideCenterCrop,
} from '../src/image/index.ts';
import { readNpy } from '../src/npy.ts';
import { pythonMissing, runPython } from './helpers/python.ts';

const PHOTOS = '/work/shared/data/photos';
const SCRIPT = fileURLToPath(new URL('./python/pil_reference.py', import.meta.url));
const missing = pythonMissing(['PIL', 'numpy']);
if (missing) console.warn(`skipping PIL reference tests: ${missing}`);

let dir = '';
let photos: string[] = [];

function loadRgb(name: string): RgbImage {
  const arr = readNpy(readFileSync(join(dir, `${name}.npy`)));
  expect(arr.dtype).toBe('uint8');
  const [height, width, channels] = arr.shape;
  expect(channels).toBe(3);
  return { width, height, data: arr.data as Uint8Array };
}

function diffStats(a: RgbImage, b: RgbImage): { max: number; mean: number } {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}

describe.skipIf(missing !== undefined)('image I/O against PIL', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'diffae-pil-'));
    photos = runPython(readFileSync(SCRIPT, 'utf8'), [PHOTOS, dir]).trim().split('\n');
    expect(photos.length).toBeGreaterThan(0);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('official preprocessing matches PIL within ±1 (mean < 0.05)', () => {
    const report: string[] = [];
    for (const photo of photos) {
      const input = loadRgb(`${photo}.input`);
      for (const size of [64, 128, 100]) {
        const stats = diffStats(resizeShorterSideCenterCrop(input, size), loadRgb(`${photo}.pre${size}`));
        report.push(`${photo} S=${size}: max ${stats.max} mean ${stats.mean.toFixed(5)}`);
        expect(stats.max).toBeLessThanOrEqual(1);
        expect(stats.mean).toBeLessThan(0.05);
      }
    }
    console.info(report.join('\n'));
  });

  it('plain bilinear resizes (up, down, mixed) match PIL within ±1', () => {
    const report: string[] = [];
    for (const photo of photos) {
      const input = loadRgb(`${photo}.input`);
      for (const [w, h] of [
        [97, 61],
        [300, 200],
        [256, 77],
        [13, 300],
      ]) {
        const stats = diffStats(resizeBilinear(input, w, h), loadRgb(`${photo}.resize${w}x${h}`));
        report.push(`${photo} ${w}x${h}: max ${stats.max} mean ${stats.mean.toFixed(5)}`);
        expect(stats.max).toBeLessThanOrEqual(1);
        expect(stats.mean).toBeLessThan(0.05);
      }
    }
    console.info(report.join('\n'));
  });

  it('decodes the PNG photos exactly like PIL and the JPEG photo closely', () => {
    for (const photo of photos) {
      const file = readdirPhoto(photo);
      const ours = decodeImage(readFileSync(join(PHOTOS, file)));
      const stats = diffStats(ours, loadRgb(`${photo}.input`));
      if (file.toLowerCase().endsWith('.png')) {
        expect(stats.max).toBe(0);
      } else {
        // jpeg-js and libjpeg differ in IDCT and chroma upsampling.
        console.info(`JPEG ${file}: jpeg-js vs PIL max ${stats.max} mean ${stats.mean.toFixed(4)}`);
        expect(stats.mean).toBeLessThan(2);
      }
    }
  });

  it.each([
    'gray1',
    'gray2',
    'gray4',
    'gray8',
    'palette1',
    'palette2',
    'palette4',
    'palette8',
    'ct2_8',
    'ct2_16',
    'ct4_8',
    'ct4_16',
    'ct6_8',
    'ct6_16',
  ])('PNG variant %s converts to RGB like PIL convert("RGB")', (name) => {
    const ours = decodeImage(readFileSync(join(dir, `${name}.png`)));
    expect(diffStats(ours, loadRgb(`${name}.expected`)).max).toBe(0);
  });

  it('16-bit grey keeps the high byte (PIL 9 clips it to white instead)', () => {
    const ours = decodeImage(readFileSync(join(dir, 'gray16.png')));
    expect(diffStats(ours, loadRgb('gray16.high_byte')).max).toBe(0);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('Exif orientation %i equals PIL ImageOps.exif_transpose', (o) => {
    const out = applyExifOrientation(loadRgb('orient.input'), o as ExifOrientation);
    const expected = loadRgb(`orient${o}`);
    expect([out.width, out.height]).toEqual([expected.width, expected.height]);
    expect(Buffer.from(out.data).equals(Buffer.from(expected.data))).toBe(true);
  });

  it('reads the orientation PIL wrote into a JPEG and rotates it', () => {
    const bytes = readFileSync(join(dir, 'pil_orient6.jpg'));
    const rotated = decodeImage(bytes);
    const stored = decodeImage(bytes, { applyExifOrientation: false });
    expect([stored.width, stored.height]).toEqual([40, 24]);
    expect([rotated.width, rotated.height]).toEqual([24, 40]);
    expect(rotated.data).toEqual(applyExifOrientation(stored, 6).data);
    // The tag itself, read from the APP1 segment.
    const tiffStart = bytes.indexOf(Buffer.from('Exif\0\0')) + 6;
    expect(readExifOrientation(bytes.subarray(tiffStart))).toBe(6);
  });
});

function readdirPhoto(stem: string): string {
  const file = ['.png', '.JPG', '.jpg', '.jpeg']
    .map((ext) => stem + ext)
    .find((f) => {
      try {
        readFileSync(join(PHOTOS, f), { flag: 'r' }).length;
        return true;
      } catch {
        return false;
      }
    });
  if (!file) throw new Error(`no photo file for ${stem}`);
  return file;
}
