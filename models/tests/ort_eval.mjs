// Runs ONNX graphs with onnxruntime-node (CPU) on .npy inputs and writes the outputs as .npy, so the
// Python exporter tests can compare onnxruntime against torch.
//
// Usage: tsx models/tests/ort_eval.mjs SPEC.json
//   SPEC = { "threads"?: 1, "runs": [ { "model": "unet.onnx",
//            "inputs": { "x": "x.npy", "t": "t.npy", "z": "z.npy" }, "outputs": { "eps": "eps.npy" } } ] }
// Paths are relative to the spec file. Inputs must be float32 .npy files.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readNpy, writeNpy } from '../../packages/shared/src/npy.ts';

function fail(message) {
  process.stderr.write(`ort_eval: ${message}\n`);
  process.exit(2);
}

async function runOne(run, base, threads) {
  const session = await ort.InferenceSession.create(resolve(base, run.model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  try {
    const feeds = {};
    for (const [name, file] of Object.entries(run.inputs)) {
      const arr = readNpy(readFileSync(resolve(base, file)));
      if (arr.dtype !== 'float32') fail(`${file}: expected float32, got ${arr.dtype}`);
      feeds[name] = new ort.Tensor('float32', arr.data, arr.shape);
    }
    const results = await session.run(feeds);
    for (const [name, file] of Object.entries(run.outputs)) {
      const out = results[name];
      if (!out) fail(`${run.model} has no output "${name}" (outputs: ${session.outputNames.join(', ')})`);
      writeFileSync(resolve(base, file), writeNpy({ dtype: 'float32', shape: out.dims, data: out.data }));
    }
  } finally {
    await session.release();
  }
}

const specPath = process.argv[2];
if (!specPath) fail('usage: ort_eval.mjs SPEC.json');
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
if (!Array.isArray(spec.runs)) fail('spec needs a "runs" array');
const base = dirname(resolve(specPath));
for (const run of spec.runs) await runOne(run, base, spec.threads ?? 1);
