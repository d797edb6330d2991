/** Job outputs under `results/{jobId}/`: PNG images, `.npy` latents, GIF, JSON. */
import { encodePng } from '../../shared/src/image/png.ts';
import type { RgbImage } from '../../shared/src/image/types.ts';
import { type JobOutput, keys } from '../../shared/src/jobs.ts';
import { writeNpy } from '../../shared/src/npy.ts';
import type { ObjectStore } from '../../shared/src/ports.ts';
import type { Tensor } from '../../shared/src/tensor.ts';

export class ResultWriter {
  readonly #outputs: JobOutput[] = [];
  constructor(
    private readonly store: ObjectStore,
    private readonly jobId: string,
  ) {}

  async put(name: string, body: Uint8Array, contentType: string): Promise<JobOutput> {
    const key = keys.output(this.jobId, name);
    await this.store.put(key, body, { contentType });
    const output: JobOutput = { name, key, contentType, bytes: body.length };
    const i = this.#outputs.findIndex((o) => o.name === name);
    if (i >= 0) this.#outputs[i] = output;
    else this.#outputs.push(output);
    return output;
  }

  png(name: string, image: RgbImage): Promise<JobOutput> {
    return this.put(name, encodePng(image), 'image/png');
  }

  npy(name: string, t: Tensor): Promise<JobOutput> {
    return this.put(name, writeNpy(t), 'application/octet-stream');
  }

  json(name: string, value: unknown): Promise<JobOutput> {
    return this.put(name, new TextEncoder().encode(JSON.stringify(value)), 'application/json');
  }

  /** Outputs written so far, in write order. */
  outputs(): JobOutput[] {
    return this.#outputs.map((o) => ({ ...o }));
  }
}
