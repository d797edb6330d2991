/**
 * Library build: `dist/diffae-editor.js` (one ES module; onnxruntime-web is split into a chunk loaded
 * on first local encode) plus the demo page `dist/index.html`, which loads it with one script tag.
 * `vite` (dev) serves index.html with the TypeScript sources.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const DEV_ENTRY = './src/index.ts';
const BUILT_ENTRY = './diffae-editor.js';

/** Emits index.html with its module script pointed at the built bundle. */
function demoPage(): Plugin {
  return {
    name: 'diffae-demo-page',
    apply: 'build',
    generateBundle() {
      const html = readFileSync(`${here}index.html`, 'utf8');
      if (!html.includes(DEV_ENTRY)) throw new Error(`index.html must load ${DEV_ENTRY}`);
      this.emitFile({ type: 'asset', fileName: 'index.html', source: html.replace(DEV_ENTRY, BUILT_ENTRY) });
    },
  };
}

export default defineConfig({
  root: here,
  plugins: [demoPage()],
  // onnxruntime-web's default export inlines its wasm (tens of MB); this condition picks the build that
  // loads ort-wasm-simd-threaded.jsep.{mjs,wasm} from env.wasm.wasmPaths (the edge's /v1/assets/ort/).
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    lib: { entry: `${here}src/index.ts`, formats: ['es'], fileName: () => 'diffae-editor.js' },
    rollupOptions: {
      output: { chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
    },
  },
});
