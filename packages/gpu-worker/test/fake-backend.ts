/**
 * A pure-TS DiffAEBackend for tests: eps = 0.1·x + t/1000 + mean(z), encode = per-channel means tiled
 * to Z, latentEps = −0.1·x + t/1000. It records every call (rows and the first values of t) and can be
 * told to fail on rows that hold NaN.
 */
import type { DiffAEBackend } from '../../shared/src/backend.ts';
import type { Tensor } from '../../shared/src/tensor.ts';

export interface FakeCall {
  kind: 'encode' | 'eps' | 'latentEps';
  rows: number;
  t?: number[];
}

export class FakeBackend implements DiffAEBackend {
  readonly calls: FakeCall[] = [];
  readonly info: { name: string; device: string; maxBatch?: number };
  delayMs: number;
  disposed = false;

  constructor(
    readonly zDim = 4,
    opts: { delayMs?: number; maxBatch?: number } = {},
  ) {
    this.delayMs = opts.delayMs ?? 0;
    this.info = {
      name: 'fake',
      device: 'cpu',
      ...(opts.maxBatch !== undefined && { maxBatch: opts.maxBatch }),
    };
  }

  async #settle(x: Tensor): Promise<void> {
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (x.data.some(Number.isNaN)) throw new Error('fake backend: NaN in the input');
  }

  async encode(x: Tensor): Promise<Tensor> {
    this.calls.push({ kind: 'encode', rows: x.shape[0] });
    await this.#settle(x);
    const [n, c, h, w] = x.shape;
    const out = new Float32Array(n * this.zDim);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < this.zDim; j++) {
        const ch = j % c;
        let s = 0;
        for (let i = 0; i < h * w; i++) s += x.data[(r * c + ch) * h * w + i];
        out[r * this.zDim + j] = s / (h * w) + j / 100;
      }
    }
    return { data: out, shape: [n, this.zDim] };
  }

  async eps(x: Tensor, t: Float32Array, z: Tensor): Promise<Tensor> {
    this.calls.push({ kind: 'eps', rows: x.shape[0], t: Array.from(t) });
    await this.#settle(x);
    const n = x.shape[0];
    const row = x.data.length / n;
    const out = new Float32Array(x.data.length);
    for (let r = 0; r < n; r++) {
      let zm = 0;
      for (let j = 0; j < z.shape[1]; j++) zm += z.data[r * z.shape[1] + j];
      zm /= z.shape[1];
      for (let i = 0; i < row; i++) out[r * row + i] = 0.1 * x.data[r * row + i] + t[r] / 1000 + 0.01 * zm;
    }
    return { data: out, shape: [...x.shape] };
  }

  async latentEps(x: Tensor, t: Float32Array): Promise<Tensor> {
    this.calls.push({ kind: 'latentEps', rows: x.shape[0], t: Array.from(t) });
    await this.#settle(x);
    const n = x.shape[0];
    const row = x.data.length / n;
    const out = new Float32Array(x.data.length);
    for (let r = 0; r < n; r++)
      for (let i = 0; i < row; i++) out[r * row + i] = -0.1 * x.data[r * row + i] + t[r] / 1000;
    return { data: out, shape: [...x.shape] };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
