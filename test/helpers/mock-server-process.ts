/**
 * Runs a mock server (NCMEC or StopNCII) in a child process, so a benchmark's client and the server do not share
 * one event loop and one core (bench:sync measures the client, not the mock).
 *
 * ```ts
 * const mock = await startMockServerProcess('ncmec', { entries: 1_000_000, recordRequests: false });
 * const source = createNcmecSource({ baseUrl: mock.url, username: mock.username!, password: mock.password! });
 * ...
 * expect(await mock.call('currentSize')).toBe(store.size);
 * await mock.close();
 * ```
 *
 * Options must be JSON-serialisable (no `now` clock). `call(method, ...args)` invokes a method of the server object
 * in the child (`add`, `update`, `delete`, `setStatus`, `currentSize`, `generatedKey`, ... or `faults.enqueue`)
 * and resolves to its JSON result.
 *
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './vectors.js';

/** A mock server running in a child process. */
export interface MockServerProcess {
  url: string;
  username?: string;
  password?: string;
  functionKey?: string;
  subscriptionKey?: string;
  pid: number;
  /** Calls a method of the server object in the child; resolves to its (JSON) result. */
  call(method: string, ...args: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

const CHILD_FLAG = 'TIDSCAN_MOCK_SERVER_CHILD';

/** Starts the mock server `kind` with `options` in a child process (node + tsx). */
export async function startMockServerProcess(kind: 'ncmec' | 'stopncii', options: Record<string, unknown> = {}): Promise<MockServerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [kind, JSON.stringify(options)], {
    cwd: REPO_ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [CHILD_FLAG]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('mock server process did not start within 60 s')), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`mock server process exited with ${code}`)));
    child.on('message', (message: { ready?: Record<string, string>; id?: number; result?: unknown; error?: string }) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      } else if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) call?.reject(new Error(message.error));
        else call?.resolve(message.result);
      }
    });
  });
  const info = await ready;
  return {
    ...info,
    url: info.url!,
    pid: child.pid!,
    call(method, ...args) {
      return new Promise((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        child.send({ id, method, args });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

async function runChild(): Promise<void> {
  const [kind, json] = process.argv.slice(2);
  const options = JSON.parse(json ?? '{}') as Record<string, unknown>;
  const server: Record<string, unknown> & { close(): Promise<void> } =
    kind === 'stopncii' ?
      ((await (await import('./mock-stopncii-server.js')).startMockStopNciiServer(options)) as never)
    : ((await (await import('./mock-ncmec-server.js')).startMockNcmecServer(options)) as never);
  const ready: Record<string, string> = { url: server.url as string };
  for (const key of ['username', 'password', 'functionKey', 'subscriptionKey']) {
    if (typeof server[key] === 'string') ready[key] = server[key] as string;
  }
  process.on('message', (message: { id: number; method: string; args: unknown[] }) => {
    void (async () => {
      try {
        const [head, tail] = message.method.split('.') as [string, string | undefined];
        const target = (tail ? server[head] : server) as Record<string, (...a: unknown[]) => unknown>;
        const name = tail ?? head;
        if (typeof target?.[name] !== 'function') throw new Error(`no method ${message.method}`);
        let result = await target[name]!(...message.args);
        if (result instanceof Map) result = [...result];
        if (result === target) result = undefined;
        process.send!({ id: message.id, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
      } catch (err) {
        process.send!({ id: message.id, error: (err as Error).message });
      }
    })();
  });
  const stop = () => void server.close().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  process.send!({ ready });
}

if (process.env[CHILD_FLAG] === '1' && process.argv[1] === fileURLToPath(import.meta.url)) {
  delete process.env[CHILD_FLAG];
  void runChild();
}
