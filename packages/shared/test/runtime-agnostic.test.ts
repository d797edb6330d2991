import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every module reachable from `entry` through relative imports, with the bare specifiers each one uses. */
function importGraph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const bare: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      else bare.push(spec);
    }
    seen.set(file, bare);
  }
  return seen;
}

describe('main entry', () => {
  it('reaches no node: modules, onnxruntime or Buffer', () => {
    const problems: string[] = [];
    const graph = importGraph(resolve(SRC, 'index.ts'));
    expect(graph.has(resolve(SRC, 'pipelines.ts'))).toBe(true);
    expect(graph.has(resolve(SRC, 'bundle/manifest.ts'))).toBe(true);
    for (const [file, bare] of graph) {
      const rel = file.slice(SRC.length + 1);
      for (const spec of bare) {
        if (
          spec.startsWith('node:') ||
          spec.startsWith('onnxruntime') ||
          ['fs', 'path', 'crypto', 'buffer'].includes(spec)
        ) {
          problems.push(`${rel} imports ${spec}`);
        }
      }
      if (/\bBuffer\./.test(readFileSync(file, 'utf8'))) problems.push(`${rel} uses Buffer`);
    }
    expect(problems).toEqual([]);
  });
});
