/**
 * Pulumi mocks that record every registered resource and answer the data sources the SST components
 * and the config call. Outputs a real provider computes (ARNs, URLs, names) are synthesised so that
 * code parsing them (e.g. `new URL(functionUrl)`) sees realistic values.
 */
import { ACCOUNT_ID, REGION } from './cli-stub.ts';

export interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
  custom?: boolean;
  id?: string;
}

export interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

export interface RecordedResource {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}

export interface PulumiMocks {
  newResource(args: MockResourceArgs): { id: string | undefined; state: Record<string, unknown> };
  call(args: MockCallArgs): Record<string, unknown>;
}

export const MOCK_AMI_ID = 'ami-0123456789abcdef0';

const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

/** Secrets arrive wrapped in Pulumi's signature object: unwrap them so assertions see plain values. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG_KEY] === SECRET_SIG) return unwrapSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}

function physicalName(name: string, inputs: Record<string, unknown>): string {
  const explicit = inputs.name ?? inputs.bucket ?? inputs.family;
  return typeof explicit === 'string' ? explicit : `${name.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-mock`;
}

/** `aws:sqs/queue:Queue` → `sqs`. */
function serviceOf(type: string): string {
  return type.split(':')[1]?.split('/')[0] ?? 'unknown';
}

function arnFor(type: string, physical: string): string {
  const service = serviceOf(type);
  if (service === 's3') return `arn:aws:s3:::${physical}`;
  if (service === 'iam')
    return `arn:aws:iam::${ACCOUNT_ID}:${type.split(':').pop()?.toLowerCase()}/${physical}`;
  if (service === 'sqs') return `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:${physical}`;
  if (service === 'cloudwatch' && type.endsWith('LogGroup')) {
    return `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${physical}`;
  }
  if (service === 'ssm') return `arn:aws:ssm:${REGION}:${ACCOUNT_ID}:parameter${physical}`;
  return `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${type.split(':').pop()?.toLowerCase()}/${physical}`;
}

function synthesisedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const physical = physicalName(name, inputs);
  const outputs: Record<string, unknown> = { arn: arnFor(type, physical), name: physical };
  switch (type) {
    case 'aws:s3/bucket:Bucket':
    case 'aws:s3/bucketV2:BucketV2':
      Object.assign(outputs, {
        bucket: physical,
        bucketDomainName: `${physical}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${physical}.s3.${REGION}.amazonaws.com`,
      });
      break;
    case 'aws:sqs/queue:Queue':
      outputs.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${physical}`;
      break;
    case 'aws:lambda/functionUrl:FunctionUrl':
      outputs.functionUrl = `https://${name.toLowerCase()}.lambda-url.${REGION}.on.aws/`;
      break;
    case 'aws:cloudfront/distribution:Distribution':
      Object.assign(outputs, { domainName: 'd111111abcdef8.cloudfront.net', hostedZoneId: 'Z2FDTNDATAQYW2' });
      break;
    case 'aws:ecr/repository:Repository':
      outputs.repositoryUrl = `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${physical}`;
      break;
    case 'random:index/randomBytes:RandomBytes':
      Object.assign(outputs, { base64: Buffer.alloc(32, 7).toString('base64'), hex: '07'.repeat(32) });
      break;
  }
  return outputs;
}

interface PolicyStatementInput {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** The JSON the real `aws.iam.getPolicyDocument` renders from its `statements`. */
export function renderPolicyDocument(inputs: Record<string, unknown>): string {
  const statements = (inputs.statements ?? []) as PolicyStatementInput[];
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({
      ...(statement.sid ? { Sid: statement.sid } : {}),
      Effect: statement.effect ?? 'Allow',
      ...(statement.actions ? { Action: statement.actions } : {}),
      ...(statement.resources ? { Resource: statement.resources } : {}),
      ...(statement.principals
        ? {
            Principal: Object.fromEntries(
              statement.principals.map((p) => [
                p.type === 'AWS' || p.type === 'aws' ? 'AWS' : p.type,
                p.identifiers,
              ]),
            ),
          }
        : {}),
      ...(statement.conditions
        ? {
            Condition: Object.fromEntries(
              statement.conditions.map((c) => [c.test, { [c.variable]: c.values }]),
            ),
          }
        : {}),
    })),
  });
}

const DATA_SOURCES: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  'aws:index/getRegion:getRegion': () => ({ id: REGION, name: REGION, region: REGION }),
  'aws:index/getCallerIdentity:getCallerIdentity': () => ({
    id: ACCOUNT_ID,
    accountId: ACCOUNT_ID,
    arn: `arn:aws:iam::${ACCOUNT_ID}:user/ci`,
    userId: 'AIDAMOCK',
  }),
  'aws:index/getPartition:getPartition': () => ({ id: 'aws', partition: 'aws', dnsSuffix: 'amazonaws.com' }),
  'aws:index/getAvailabilityZones:getAvailabilityZones': () => ({
    id: REGION,
    names: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
    zoneIds: ['use1-az1', 'use1-az2', 'use1-az4'],
  }),
  'aws:iam/getPolicyDocument:getPolicyDocument': (inputs) => ({
    id: 'policy',
    json: renderPolicyDocument(inputs),
  }),
  'aws:ssm/getParameter:getParameter': (inputs) => ({
    id: String(inputs.name),
    name: inputs.name,
    type: 'String',
    value: MOCK_AMI_ID,
  }),
};

export function createRecordingMocks(
  recorded: RecordedResource[],
  dataSourceCalls: MockCallArgs[],
): PulumiMocks {
  return {
    newResource({ type, name, inputs, custom }) {
      recorded.push({
        type,
        name,
        custom: Boolean(custom),
        inputs: unwrapSecrets(inputs) as Record<string, unknown>,
      });
      const state = custom ? { ...synthesisedOutputs(type, name, inputs), ...inputs } : inputs;
      return { id: custom ? `${name}-id` : undefined, state };
    },
    call({ token, inputs, provider }) {
      dataSourceCalls.push({ token, inputs, provider });
      const answer = DATA_SOURCES[token];
      if (!answer) throw new Error(`the Pulumi mocks have no answer for data source ${token}`);
      // Real data sources echo their arguments in the result (SST reads `statements` back, for one).
      return { ...inputs, ...answer(inputs) };
    },
  };
}
