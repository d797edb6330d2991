/**
 * The stack's persistent secrets in `<dir>/keys.json`: the local storage signing secret, the demo
 * page's publishable key and a secret key for scripts (curl, SDKs), made on first start and kept so that
 * bookmarked URLs and stored jobs stay valid. Both keys belong to the tenant `local`.
 * The key's allowed origins grow to include every origin the stack has been served from.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type ApiKeyRecord, apiKeyRecord, createApiKey } from '../../packages/edge/src/keys.ts';

export const LOCAL_TENANT = 'local';

export interface StackSecrets {
  signingSecret: string;
  publishableKey: string;
  record: ApiKeyRecord;
  secretKey: string;
  secretRecord: ApiKeyRecord;
}

function read(file: string): StackSecrets | undefined {
  if (!existsSync(file)) return undefined;
  let raw: Partial<StackSecrets>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); delete it to make new keys`);
  }
  const record = apiKeyRecord.safeParse(raw.record);
  const secretRecord = apiKeyRecord.safeParse(raw.secretRecord);
  const strings = [raw.signingSecret, raw.publishableKey, raw.secretKey].every((v) => typeof v === 'string');
  if (!strings || !record.success || !secretRecord.success) {
    throw new Error(`${file} is malformed; delete it to make new keys`);
  }
  return {
    signingSecret: raw.signingSecret as string,
    publishableKey: raw.publishableKey as string,
    record: record.data,
    secretKey: raw.secretKey as string,
    secretRecord: secretRecord.data,
  };
}

export async function loadOrCreateSecrets(dir: string, origins: readonly string[]): Promise<StackSecrets> {
  const file = path.join(dir, 'keys.json');
  let secrets = read(file);
  if (!secrets) {
    const pk = await createApiKey('publishable', LOCAL_TENANT, { origins: [...origins] });
    const sk = await createApiKey('secret', LOCAL_TENANT);
    secrets = {
      signingSecret: randomBytes(32).toString('base64url'),
      publishableKey: pk.key,
      record: pk.record,
      secretKey: sk.key,
      secretRecord: sk.record,
    };
  }
  const known = new Set(secrets.record.origins ?? []);
  const missing = origins.filter((o) => !known.has(o));
  if (missing.length > 0 || !existsSync(file)) {
    secrets = { ...secrets, record: { ...secrets.record, origins: [...known, ...missing] } };
    writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}
