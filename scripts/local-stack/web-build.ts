/** Builds the widget (`packages/web/dist`) when it is missing or older than its sources. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, WEB_DIST_DIR, WEB_PACKAGE_DIR } from './paths.ts';

const SOURCES = [
  path.join(WEB_PACKAGE_DIR, 'src'),
  path.join(WEB_PACKAGE_DIR, 'index.html'),
  path.join(WEB_PACKAGE_DIR, 'vite.config.ts'),
  path.join(REPO_ROOT, 'packages/shared/src'),
];
const OUTPUTS = [path.join(WEB_DIST_DIR, 'diffae-editor.js'), path.join(WEB_DIST_DIR, 'index.html')];

/** Newest modification time under `p` (a file or a folder, recursively). */
export function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, entry)));
  return newest;
}

export function widgetBuildIsStale(): boolean {
  if (!OUTPUTS.every((f) => existsSync(f))) return true;
  const built = Math.min(...OUTPUTS.map((f) => statSync(f).mtimeMs));
  return SOURCES.some((s) => newestMtime(s) > built);
}

/** Returns true when it built. */
export async function ensureWidgetBuilt(log: (m: string) => void = () => {}): Promise<boolean> {
  if (!widgetBuildIsStale()) return false;
  log('building the widget (packages/web/dist)…');
  const { build } = await import('vite');
  await build({ configFile: path.join(WEB_PACKAGE_DIR, 'vite.config.ts'), logLevel: 'warn' });
  return true;
}
