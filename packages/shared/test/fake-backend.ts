import type { BackendInfo, DiffAEBackend } from '../src/backend.ts';
import { type Tensor, tensor } from '../src/tensor.ts';

export interface EpsCall {
  readonly rows: number;
  readonly t: number[];
  readonly z: number[];
}

/**
 * A tiny deterministic DiffAE stand-in: z = per-channel means of x (Z = 3) scaled, eps linear in x, z, t.
 * Records every call so tests can check timesteps, batching and conditioning.
 */
export class FakeBackend implements DiffAEBackend {
  readonly epsCalls: EpsCall[] = [];
  readonly latentCalls: { rows: number; t: number[] }[] = [];
  readonly encodeCalls: number[] = [];
  readonly info?: BackendInfo;
  readonly latentEps?: (x: Tensor, t: Float32Array) => Promise<Tensor>;

  constructor(opts: { maxBatch?: number; withLatent?: boolean } = {}) {
    if (opts.maxBatch !== undefined) this.info = { name: 'fake', device: 'cpu', maxBatch: opts.maxBatch };
    if (opts.withLatent) this.latentEps = (x, t) => this.latent(x, t);
  }

  static readonly Z = 3;

  async encode(x: Tensor): Promise<Tensor> {
    const [n, c, h, w] = x.shape;
    this.encodeCalls.push(n);
    const z = tensor([n, FakeBackend.Z]);
    for (let r = 0; r < n; r++) {
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let i = 0; i < h * w; i++) s += x.data[(r * c + ch) * h * w + i];
        z.data[r * FakeBackend.Z + ch] = (2 * s) / (h * w);
      }
    }
    return z;
  }

  async eps(x: Tensor, t: Float32Array, z: Tensor): Promise<Tensor> {
    const n = x.shape[0];
    const row = x.data.length / n;
    const zw = z.shape[1];
    this.epsCalls.push({ rows: n, t: Array.from(t), z: Array.from(z.data) });
    const out = tensor(x.shape);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < row; i++) {
        const k = r * row + i;
        out.data[k] = 0.5 * x.data[k] + 0.1 * z.data[r * zw + (i % zw)] + 0.0005 * t[r];
      }
    }
    return out;
  }

  private async latent(x: Tensor, t: Float32Array): Promise<Tensor> {
    const n = x.shape[0];
    const row = x.data.length / n;
    this.latentCalls.push({ rows: n, t: Array.from(t) });
    return tensor(
      x.shape,
      x.data.map((v, k) => 0.3 * v + 0.0001 * t[Math.floor(k / row)]),
    );
  }

  async dispose(): Promise<void> {}
}
