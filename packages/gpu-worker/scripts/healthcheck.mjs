// Docker HEALTHCHECK: healthy while the worker loop touched DIFFAE_HEARTBEAT_FILE recently.
// The loop beats every 5 s while it waits or receives; a long-poll turn lasts DIFFAE_POLL_WAIT_S (≤ 20 s).
import { statSync } from 'node:fs';

const file = process.env.DIFFAE_HEARTBEAT_FILE ?? '/tmp/diffae-worker.heartbeat';
const maxAgeS = Number(process.env.DIFFAE_HEALTH_MAX_AGE_S ?? 60);
try {
  const ageS = (Date.now() - statSync(file).mtimeMs) / 1000;
  if (ageS > maxAgeS) {
    console.error(`heartbeat ${file} is ${ageS.toFixed(0)} s old (limit ${maxAgeS} s)`);
    process.exit(1);
  }
} catch (err) {
  console.error(`no heartbeat at ${file}: ${err.message}`);
  process.exit(1);
}
