import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../errors.js';
import { WorkQueue } from './work-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('runs at most `concurrency` tasks and refuses calls beyond `maxQueue` waiting ones with QUEUE_FULL', async () => {
    const q = new WorkQueue(2, 1);
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const task = async (): Promise<number> => {
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
      return 1;
    };
    const accepted = [q.run(task), q.run(task), q.run(task)];
    const refused = q.run(task);
    await expect(refused).rejects.toSatisfy((e: unknown) => isTidscanError(e) && e.code === 'QUEUE_FULL');
    expect(q.stats()).toMatchObject({ concurrency: 2, running: 2, waiting: 1, maxQueue: 1, rejected: 1 });
    // unbounded callers (matchMany) bound themselves and are not refused
    accepted.push(q.run(task, false));
    gate.resolve();
    await expect(Promise.all(accepted)).resolves.toEqual([1, 1, 1, 1]);
    expect(peak).toBe(2);
    await q.onIdle();
    expect(q.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('with maxQueue 0 accepts work only while a slot is free', async () => {
    const q = new WorkQueue(1, 0);
    const gate = deferred();
    const first = q.run(() => gate.promise);
    await expect(q.run(async () => undefined)).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    gate.resolve();
    await first;
    await expect(q.run(async () => 'ok')).resolves.toBe('ok');
  });
});
