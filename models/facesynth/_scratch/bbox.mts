import { generate, faceToSvgString } from 'facesjs';
import { Resvg } from '@resvg/resvg-js';
// render at 1 px = 2 svg units (200x300), find extents
const tops: number[] = [], lefts: number[] = [], rights: number[] = [];
const hatTops: number[] = [];
let t = performance.now();
for (let i = 0; i < 300; i++) {
  const f = generate(undefined, { gender: i % 2 ? 'female' : 'male' });
  const svg = faceToSvgString(f);
  const img = new Resvg(svg, { fitTo: { mode: 'width', value: 200 }, background: '#ffffff' }).render();
  const p = img.pixels; const W = img.width;
  let top = 999, left = 999, right = -1;
  for (let y = 0; y < 235; y++) for (let x = 0; x < W; x++) {
    const o = (y * W + x) * 4;
    if (p[o] < 250 || p[o + 1] < 250 || p[o + 2] < 250) { top = Math.min(top, y); left = Math.min(left, x); right = Math.max(right, x); }
  }
  (['hat','hat2','hat3','santa-hat'].includes(f.accessories.id) ? hatTops : tops).push(top * 2);
  lefts.push(left * 2); rights.push(right * 2);
}
const q = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return [0, 0.05, 0.5, 0.95, 1].map(k => s[Math.min(s.length - 1, Math.floor(k * s.length))]); };
console.log('top', q(tops), 'hatTop', q(hatTops), 'left', q(lefts), 'right', q(rights), 'ms/face', (performance.now() - t) / 300);
