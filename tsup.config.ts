import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // store-worker and source-worker: thread scripts, loaded by file name beside the bundle (src/sync/worker-script.ts).
    entry: { index: 'src/index.ts', 'store-worker': 'src/sync/store-worker.ts', 'source-worker': 'src/sync/source-worker.ts' },
    format: ['esm', 'cjs'],
    dts: { entry: { index: 'src/index.ts' } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    shims: true,
  },
  {
    entry: { cli: 'src/cli/bin.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    banner: { js: '#!/usr/bin/env node' },
  },
]);
