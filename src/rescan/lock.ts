/**
 * A lock file beside the checkpoint, so two rescans of the same job cannot interleave their results. A lock left
 * by a process that no longer runs (crash, kill -9) is taken over.
 *
 * @module
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `${file}.lock` and returns its release function.
 *
 * @throws {ConfigError} `CONFIG_INVALID` when another live process holds it.
 */
export function acquireLock(file: string): () => void {
  const lock = `${file}.lock`;
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(lock, 'utf8'), 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
        throw new ConfigError(
          'CONFIG_INVALID',
          `Another rescan (pid ${holder}) is using checkpoint ${file}; wait for it or pass a different --checkpoint`,
          { details: { pid: holder } },
        );
      }
      rmSync(lock, { force: true });
    }
  }
  throw new ConfigError('CONFIG_INVALID', `Could not take the lock ${lock}`);
}
