// Test helper: runs ONNX models with onnxruntime-node (CPU).
// usage: node ort_run.cjs SPEC.json
//   SPEC = [{ model, inputs: {name: {file, shape}}, outputs: {name: file} }, ...]
// Inputs/outputs are raw little-endian float32 files; each output's dims go to `${file}.shape.json`.
const fs = require('node:fs');
const ort = require('onnxruntime-node');

async function runJob(job) {
  const session = await ort.InferenceSession.create(job.model, { intraOpNumThreads: 1 });
  const feeds = {};
  for (const [name, { file, shape }] of Object.entries(job.inputs)) {
    const buf = fs.readFileSync(file);
    feeds[name] = new ort.Tensor('float32', new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), shape);
  }
  const result = await session.run(feeds);
  for (const [name, file] of Object.entries(job.outputs)) {
    const out = result[name];
    if (!out) throw new Error(`${job.model}: no output named ${name}`);
    fs.writeFileSync(file, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
    fs.writeFileSync(`${file}.shape.json`, JSON.stringify(out.dims));
  }
}

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const job of jobs) await runJob(job);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
