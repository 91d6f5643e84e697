import { describe, expect, it } from 'vitest';
import { checkpointComparator } from './checkpoint-order.js';
import { createFileSource } from './file-source.js';
import { createNcmecSource } from './ncmec/source.js';
import { createStopNciiSource } from './stopncii.js';

const sign = (n: number) => Math.sign(n);

describe('checkpoint order of the built-in sources', () => {
  it('NCMEC: by windowEnd; a saved cursor inside the same window is not a move; malformed values are not comparable', () => {
    const compare = checkpointComparator(createNcmecSource({ baseUrl: 'http://127.0.0.1:9', username: 'u', password: 'p' }))!;
    const at = (windowEnd: string, paging?: object) => ({ version: 1, windowEnd, ...(paging ? { paging } : {}) });
    expect(sign(compare(at('2025-01-02T00:00:00Z'), at('2025-01-01T00:00:00Z')))).toBe(1);
    expect(sign(compare(at('2025-01-01T00:00:00Z'), at('2025-01-02T00:00:00Z')))).toBe(-1);
    expect(compare(at('2025-01-01T00:00:00Z', { nextUrl: '/v2/entries?start=1001' }), at('2025-01-01T00:00:00Z'))).toBe(0);
    expect(compare({ windowEnd: 'not a date' }, at('2025-01-01T00:00:00Z'))).toBe(0);
    expect(compare(null, 'x')).toBe(0);
  });

  it('StopNCII: a stale restart (new lastFetchAt, nextSetTimestamp back to 0) is not a rewind; going back within one fetch is', () => {
    const compare = checkpointComparator(createStopNciiSource({ baseUrl: 'http://127.0.0.1:9', functionKey: 'f', subscriptionKey: 's' }))!;
    const cp = (lastFetchAt: string, nextSetTimestamp: number) => ({ version: 1, lastFetchAt, nextSetTimestamp });
    expect(sign(compare(cp('2025-03-01T00:00:00Z', 0), cp('2025-01-01T00:00:00Z', 1_700_000_000)))).toBe(1);
    expect(sign(compare(cp('2025-01-01T00:00:00Z', 1_600_000_000), cp('2025-01-01T00:00:00Z', 1_700_000_000)))).toBe(-1);
    expect(compare(cp('2025-01-01T00:00:00Z', 5), cp('2025-01-01T00:00:00Z', 5))).toBe(0);
    expect(compare({ lastFetchAt: 3 }, cp('2025-01-01T00:00:00Z', 5))).toBe(0);
  });

  it('a list file has no order (its checkpoint is a content hash), so nothing is checked', () => {
    expect(checkpointComparator(createFileSource({ location: '/tmp/list.ndjson' }))).toBeUndefined();
  });
});
