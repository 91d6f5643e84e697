import { describe, expect, it } from 'vitest';
import { isTidscanError } from '../../errors.js';
import { isoToSec, parseNcmecCheckpoint, secToIso } from './checkpoint.js';

describe('NCMEC checkpoint (persisted format: these literals must stay readable)', () => {
  it('reads a version-1 checkpoint with and without a saved cursor', () => {
    const plain = { version: 1, windowEnd: '2025-01-31T17:50:00Z' };
    expect(parseNcmecCheckpoint(JSON.parse(JSON.stringify(plain)))).toEqual(plain);
    const paging = {
      version: 1,
      windowEnd: '2025-01-31T00:00:00Z',
      paging: {
        nextUrl: '/v2/entries?from=2025-01-31T00%3A00%3A00.000Z&to=2025-02-01T00%3A00%3A00.000Z&start=1001&size=1000&max=1450',
        windowFrom: '2025-01-31T00:00:00Z',
        windowTo: '2025-02-01T00:00:00Z',
        savedAt: '2025-02-01T00:00:07.123Z',
      },
    };
    expect(parseNcmecCheckpoint(JSON.parse(JSON.stringify(paging)))).toEqual(paging);
  });

  it('rejects anything else with SYNC_CHECKPOINT_INVALID', () => {
    for (const bad of [null, 'x', [], {}, { version: 2, windowEnd: '2025-01-31T17:50:00Z' }, { version: 1, windowEnd: '2025-01-31 17:50' },
      { version: 1, windowEnd: '2025-01-31T17:50:00Z', paging: { nextUrl: '', windowFrom: 'a', windowTo: 'b', savedAt: 'c' } },
      { sha256: 'abc' }]) {
      let err: unknown;
      try {
        parseNcmecCheckpoint(bad);
      } catch (e) {
        err = e;
      }
      expect(isTidscanError(err) && err.code).toBe('SYNC_CHECKPOINT_INVALID');
    }
  });

  it('formats window bounds as the API wants them (UTC, whole seconds, no millis)', () => {
    expect(secToIso(isoToSec('2025-01-31T17:50:00.999Z'))).toBe('2025-01-31T17:50:00Z');
  });
});
