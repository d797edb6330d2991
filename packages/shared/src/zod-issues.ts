/** Turns zod issues into human-readable `path: what is wrong` lines. */
import type { z } from 'zod';

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
}

/** One message: a heading, then one problem per line (at most `max`, then a count of the rest). */
export function issuesMessage(heading: string, problems: readonly string[], max = 25): string {
  const shown = problems.slice(0, max).map((p) => `  - ${p}`);
  if (problems.length > max) shown.push(`  … and ${problems.length - max} more`);
  return `${heading}:\n${shown.join('\n')}`;
}

/** Per-parse zod error map with plainer wording for the common cases (missing field, non-integer). */
export const readableErrors: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return `required (expected ${issue.expected})`;
    if (issue.expected === 'int') return `must be an integer, got ${String(issue.input)}`;
  }
  if (issue.code === 'invalid_value' && issue.input === undefined) {
    return `required (one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`;
  }
  return undefined;
};
