/**
 * Starting the package's own worker threads (the store writer, the source thread) from scripts that sit beside
 * this module: `<name>.js` (or `.cjs`) in the built package. Run from source (`.ts` under tsx or vitest), the
 * thread loads its script through tsx, which a worker's `--import` flag does not do on Node 20.
 *
 * @internal
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Starts worker script `name` with `workerData`; undefined when the script is not there (the package was bundled).
 * The built package's CommonJS script is preferred to its ES module twin: the thread then `require`s undici and
 * better-sqlite3 instead of importing them through the ESM loader, which first scans their CommonJS source for
 * export names (the source thread booted ~40 ms sooner, with less CPU).
 */
export function spawnSiblingWorker(name: 'store-worker' | 'source-worker', workerData: unknown, resourceLimits?: ResourceLimits): Worker | undefined {
  const here = import.meta.url;
  const ext = /\.([cm]?[jt]s)$/.exec(new URL(here).pathname)?.[1] ?? 'js';
  const commonJs = new URL(`./${name}.cjs`, here);
  const script = !ext.endsWith('ts') && commonJs.protocol === 'file:' && existsSync(fileURLToPath(commonJs)) ? commonJs : new URL(`./${name}.${ext}`, here);
  if (script.protocol !== 'file:' || !existsSync(fileURLToPath(script))) return undefined;
  const limits = resourceLimits ? { resourceLimits } : {};
  if (!ext.endsWith('ts')) return new Worker(script, { workerData, stdout: true, ...limits });
  const boot = `const { workerData } = require('node:worker_threads');
import(workerData.tsx).then((tsx) => tsx.tsImport(workerData.script, workerData.script));`;
  const tsx = tsxEsmApi(here);
  return new Worker(boot, { eval: true, workerData: { ...(workerData as object), tsx, script: script.href }, stdout: true, ...limits });
}

/** The file URL of tsx's ESM API (`tsx/esm/api`, import condition), found through tsx's own export map. */
function tsxEsmApi(from: string): string {
  const manifest = createRequire(from).resolve('tsx/package.json');
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports;
  return pathToFileURL(path.join(path.dirname(manifest), exports['./esm/api']!.import.default)).href;
}
