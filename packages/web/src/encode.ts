/** z for an image: the lite encoder in the browser when the bundle has one, the edge's encoder otherwise. */
import type { Tensor } from '@diffae/shared';
import type { EditorApi, ModelSummary } from './api.ts';
import type { EncodeVia } from './events.ts';
import { createLiteEncoder, type LiteEncoder } from './onnx-encode.ts';

export interface EncodeOutcome {
  z: Float32Array;
  via: EncodeVia;
  ms: number;
  /** Why local encoding was skipped or failed (for logs), when it was. */
  localProblem?: string;
}

export class Encoder {
  #lite: Promise<LiteEncoder | null> | undefined;
  #liteProblem: string | undefined;

  constructor(
    private readonly api: EditorApi,
    private readonly model: ModelSummary,
  ) {}

  #loadLite(): Promise<LiteEncoder | null> {
    this.#lite ??= (async () => {
      if (!this.model.liteEncoder) {
        this.#liteProblem = 'the model has no lite encoder';
        return null;
      }
      try {
        const bytes = await this.api.liteEncoder(`${this.model.id}@${this.model.version}`);
        if (!bytes) {
          this.#liteProblem = 'the lite encoder is not served';
          return null;
        }
        return await createLiteEncoder(bytes, this.api.ortAssetBase);
      } catch (err) {
        this.#liteProblem = `lite encoder unavailable: ${(err as Error).message}`;
        return null;
      }
    })();
    return this.#lite;
  }

  async encode(tensor: Tensor, imageKey: string): Promise<EncodeOutcome> {
    const t0 = performance.now();
    const lite = await this.#loadLite();
    let localProblem = this.#liteProblem;
    if (lite) {
      try {
        const z = await lite.encode(tensor);
        if (z.length === this.model.zDim) return { z, via: lite.via, ms: performance.now() - t0 };
        localProblem = `lite encoder returned ${z.length} values, expected ${this.model.zDim}`;
      } catch (err) {
        localProblem = `local encode failed: ${(err as Error).message}`;
      }
    }
    const z = await this.api.encode(`${this.model.id}@${this.model.version}`, imageKey);
    return { z, via: 'server', ms: performance.now() - t0, ...(localProblem && { localProblem }) };
  }

  async dispose(): Promise<void> {
    const lite = await this.#lite;
    await lite?.release();
  }
}
