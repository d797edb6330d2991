/** worker_threads entry: generates the batches the pool in generate.ts asks for. */
import { parentPort, workerData } from 'node:worker_threads';
import { generateBatch } from './generate.ts';
import type { RenderOptions } from './render.ts';

if (!parentPort) throw new Error('worker.ts must run as a worker thread');
const port = parentPort;
const render = (workerData as { render: RenderOptions }).render;
port.on('message', ({ start, count }: { start: number; count: number }) => {
  const batch = generateBatch(start, count, render);
  port.postMessage(batch, [batch.images.buffer, batch.labels.buffer]);
});
