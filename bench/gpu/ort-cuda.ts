/**
 * onnxruntime-node on the CUDA execution provider (bench/gpu/run.sh): UNet step and encoder per batch
 * for the default and FFHQ256 bundles (exported by the torch worker like on the CPU). fp32 compute;
 * times include the host↔device copies of inputs and outputs (what the worker pays per call).
 *
 *   node --import tsx bench/gpu/ort-cuda.ts --out ort-cuda.json [--batches 1,2,...,64] [--budget-s 240]
 *   node --import tsx bench/gpu/ort-cuda.ts --probe      # exit 0 when the CUDA EP can create a session
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { normalNoise } from '../../packages/shared/src/prng.ts';
import { benchModel, type ModelKey } from '../src/models.ts';
import { median } from '../src/stats.ts';
import { TorchWorker } from '../src/torch-client.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function probe(): Promise<number> {
  const torch = TorchWorker.start();
  try {
    const model = await benchModel(torch, 'default');
    const s = await ort.InferenceSession.create(path.join(model.bundleDir, 'encoder.onnx'), {
      executionProviders: ['cuda'],
    });
    await s.release();
    return 0;
  } catch (err) {
    process.stderr.write(`CUDA execution provider unavailable: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await torch.close();
  }
}

async function sweep(): Promise<number> {
  const out = arg('--out', 'ort-cuda.json');
  const batches = arg('--batches', '1,2,4,8,16,32,64').split(',').map(Number);
  const budgetMs = Number(arg('--budget-s', '240')) * 1000;
  const reps = Number(arg('--reps', '10'));
  const started = performance.now();
  const torch = TorchWorker.start();
  const rows: Record<string, unknown>[] = [];
  let stoppedEarly = false;
  try {
    for (const key of ['default', 'ffhq256'] as ModelKey[]) {
      const model = await benchModel(torch, key);
      const manifest = JSON.parse(await readFile(path.join(model.bundleDir, 'manifest.json'), 'utf8'));
      const S = manifest.imageSize as number;
      const Z = manifest.zDim as number;
      for (const component of ['unet', 'encoder'] as const) {
        const session = await ort.InferenceSession.create(path.join(model.bundleDir, `${component}.onnx`), {
          executionProviders: ['cuda'],
        });
        for (const batch of batches) {
          if (performance.now() - started > budgetMs) {
            stoppedEarly = true;
            break;
          }
          const feeds: Record<string, ort.Tensor> = {
            x: new ort.Tensor('float32', normalNoise(1, [batch, 3, S, S]).data, [batch, 3, S, S]),
          };
          if (component === 'unet') {
            feeds.t = new ort.Tensor(
              'float32',
              Float32Array.from({ length: batch }, (_, i) => (i * 37) % 1000),
              [batch],
            );
            feeds.z = new ort.Tensor('float32', normalNoise(2, [batch, Z]).data, [batch, Z]);
          }
          for (let w = 0; w < 2; w++) await session.run(feeds);
          const times: number[] = [];
          for (let r = 0; r < reps; r++) {
            const t0 = performance.now();
            await session.run(feeds);
            times.push(performance.now() - t0);
          }
          const ms = median(times);
          const macs = model.factsMacs?.[component];
          rows.push({
            model: key,
            component,
            batch,
            precision: 'fp32',
            ms,
            samplesPerS: (batch * 1000) / ms,
            gflops: macs ? (2 * macs * batch) / (ms * 1e6) : null,
          });
        }
        await session.release();
      }
    }
  } finally {
    await torch.close();
  }
  await writeFile(
    out,
    JSON.stringify({ onnxruntimeNode: ort.env.versions.node, rows, stoppedEarly }, null, 2),
  );
  return 0;
}

process.exitCode = process.argv.includes('--probe') ? await probe() : await sweep();
