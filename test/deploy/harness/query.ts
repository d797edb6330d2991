/** Lookups over a recorded run, with errors that name what is missing. */
import type { RecordedResource } from './mocks.ts';
import type { RunResult } from './run-config.ts';

export function ofType(result: RunResult, type: string): RecordedResource[] {
  return result.resources.filter((resource) => resource.type === type);
}

export function resource(result: RunResult, type: string, name: string): RecordedResource {
  const found = result.resources.find((r) => r.type === type && r.name === name);
  if (!found) {
    const names = ofType(result, type).map((r) => r.name);
    throw new Error(`no ${type} named ${name} was registered (registered: ${names.join(', ') || 'none'})`);
  }
  return found;
}

export function input<T = unknown>(recorded: RecordedResource, key: string): T {
  return recorded.inputs[key] as T;
}

export interface PolicyStatement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
}

const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

/** Statements of every inline policy of an IAM role. */
export function inlineStatements(role: RecordedResource): PolicyStatement[] {
  const policies = input<{ name: string; policy: string }[]>(role, 'inlinePolicies') ?? [];
  return policies.flatMap((p) => (JSON.parse(p.policy) as { Statement: PolicyStatement[] }).Statement);
}

/** Resource → sorted allowed actions: the shape least-privilege assertions compare against. */
export function actionsByResource(statements: PolicyStatement[]): Record<string, string[]> {
  const map: Record<string, Set<string>> = {};
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    for (const res of asList(statement.Resource)) {
      map[res] ??= new Set();
      for (const action of asList(statement.Action)) map[res].add(action);
    }
  }
  return Object.fromEntries(Object.entries(map).map(([res, actions]) => [res, [...actions].sort()]));
}

export function wildcards(statements: PolicyStatement[]): string[] {
  return statements.flatMap((s) => [
    ...asList(s.Action).filter((a) => a === '*' || a.endsWith(':*')),
    ...asList(s.Resource).filter((r) => r === '*'),
  ]);
}

export interface ContainerDefinition {
  name: string;
  image: string;
  resourceRequirements?: { type: string; value: string }[];
  environment: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
}

export function containerDefinitions(taskDefinition: RecordedResource): ContainerDefinition[] {
  return JSON.parse(input<string>(taskDefinition, 'containerDefinitions')) as ContainerDefinition[];
}

export function envMap(entries: { name: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(entries.map((e) => [e.name, e.value]));
}

/** `entry` strings of the router's KV route table ("url,<ns>,<host>,<path>" / "site,<ns>,,"). */
export function routerEntries(result: RunResult): string[] {
  return ofType(result, 'pulumi-nodejs:dynamic:Resource')
    .filter((r) => r.name.endsWith('.sst.aws.KvRoutesUpdate'))
    .map((r) => String(r.inputs.entry));
}
