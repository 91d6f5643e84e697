import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from './lock.js';

const target = () => path.join(mkdtempSync(path.join(tmpdir(), 'tidscan-lock-')), 'sub', 'job.json');

describe('acquireLock', () => {
  it('takes and releases the lock file', () => {
    const file = target();
    const release = acquireLock(file);
    expect(existsSync(`${file}.lock`)).toBe(true);
    release();
    release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('refuses a lock held by a live process, naming it', () => {
    const file = target();
    acquireLock(file);
    writeFileSync(`${file}.lock`, String(process.ppid));
    expect(() => acquireLock(file)).toThrow(`Another rescan (pid ${process.ppid}) is using checkpoint`);
  });

  it('takes over a lock left by a process that is gone', () => {
    const file = target();
    acquireLock(file);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(`${file}.lock`, gone);
    const release = acquireLock(file);
    release();
  });
});
