import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';

// The capture helper runs as its own (possibly privileged) process: its two
// plain CommonJS files are copied verbatim beside the main bundle, in
// out/main/capture/, where the capture client looks for them.
function copyCaptureHelper() {
  return {
    name: 'tcplab-copy-capture-helper',
    generateBundle(this: { emitFile(f: { type: 'asset'; fileName: string; source: string }): void }) {
      for (const f of ['helper-process.cjs', 'cap-adapter.cjs']) {
        this.emitFile({
          type: 'asset',
          fileName: `capture/${f}`,
          source: readFileSync(resolve(__dirname, 'src-main/capture', f), 'utf8'),
        });
      }
    },
  };
}

// One build for three bundles: the Electron main process (plus the CLI and
// web-mode server, which run under plain Node from the same output folder),
// the sandboxed preload, and the Vue renderer.
export default defineConfig({
  main: {
    plugins: [externalizeDepsPlugin(), copyCaptureHelper()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/app/main.ts'),
          cli: resolve(__dirname, 'src-main/app/cli.ts'),
          // The decoding thread of `tcplab analyze` on big files (service/analyze-pipeline.ts).
          'decode-worker': resolve(__dirname, 'src-main/service/decode-worker.ts'),
        },
      },
    },
  },
  preload: {
    plugins: [externalizeDepsPlugin()],
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve(__dirname, 'src-main/app/preload.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
});
