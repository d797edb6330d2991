/** Shared by the end-to-end tests: fetching a result link and following a job to its end. */
import { expect } from 'vitest';
import type { DiffaeClient } from '../../packages/edge/src/client.ts';

export async function download(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

/** Reads the job's event stream to its close; then its status, the last event and every `end` event's data. */
export async function waitForEnd(client: DiffaeClient, id: string) {
  let last: unknown;
  const ends: unknown[] = [];
  for await (const event of client.jobEvents(id)) {
    last = event;
    if (event.event === 'end') ends.push(event.data);
  }
  return { status: await client.getJob(id), last, ends };
}
