import { describe, expect, it } from 'vitest';
import { type MatchManyResult, runBatch } from './batch.js';
import type { Verdict } from './types.js';

const verdictFor = (n: number): Verdict => ({
  kind: 'no_match',
  operation: 'hashes',
  hashes: { md5: n.toString(16).padStart(32, '0') },
  listVersion: 0,
  excluded: [],
  timing: { totalMs: 0, hashMs: 0, matchMs: 0, cached: false },
});

async function collect<I>(it: AsyncIterable<MatchManyResult<I>>): Promise<Array<MatchManyResult<I>>> {
  const out = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('runBatch', () => {
  it('yields every input in order, with errors in place, never more than `concurrency` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const scan = async (n: number): Promise<Verdict> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (7 - (n % 7)) * 2)); // later inputs finish first
      inFlight--;
      if (n % 5 === 3) throw new Error(`bad ${n}`);
      return verdictFor(n);
    };
    const inputs = Array.from({ length: 20 }, (_, i) => i);
    const results = await collect(runBatch(inputs, scan, 3, undefined));
    expect(results.map((r) => r.index)).toEqual(inputs);
    expect(results.map((r) => r.input)).toEqual(inputs);
    for (const r of results) {
      if (r.input % 5 === 3) expect((r.error as Error).message).toBe(`bad ${r.input}`);
      else expect(r.verdict).toEqual(verdictFor(r.input));
    }
    expect(peak).toBe(3);
  });

  it('accepts async iterables and a scan that throws synchronously', async () => {
    async function* gen(): AsyncGenerator<number> {
      yield 1;
      yield 2;
    }
    const scan = (n: number): Promise<Verdict> => {
      if (n === 2) throw new TypeError('sync');
      return Promise.resolve(verdictFor(n));
    };
    const results = await collect(runBatch(gen(), scan, 2, undefined));
    expect(results.map((r) => (r.error ? 'error' : 'ok'))).toEqual(['ok', 'error']);
  });

  it('stops pulling inputs when aborted and ends with ABORTED; breaking early closes the input iterator', async () => {
    const controller = new AbortController();
    let pulled = 0;
    function* inputs(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const r of runBatch(inputs(), async (n) => verdictFor(n), 2, controller.signal)) {
          seen.push(r.index);
          if (r.index === 4) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(pulled).toBeLessThanOrEqual(7);

    let closed = false;
    function* closing(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const r of runBatch(closing(), async (n) => verdictFor(n), 2, undefined)) if (r.index === 2) break;
    expect(closed).toBe(true);
  });

  it('rejects a non-iterable', async () => {
    await expect(collect(runBatch(5 as never, async () => verdictFor(0), 1, undefined))).rejects.toThrow(
      'Expected `inputs` to be an iterable or async iterable, got number',
    );
  });
});
