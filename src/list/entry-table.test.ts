import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryTable, isWellFormedText } from './entry-table.js';

interface Row {
  source: string;
  key: string;
  json: string;
}

// Keys and JSON that are ASCII, Latin-1, BMP beyond Latin-1, astral (surrogate pairs), and keys that differ only
// past their first non-ASCII character.
const textArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('é', 'e\u0301', '😀', 'k-😀', 'k-😁', 'ü-1', 'ü-2', 'a'.repeat(300)),
);
const sourceArb = fc.constantFrom('ncmec', 'stopncii', 'ü-list');
const opArb = fc.oneof(
  fc.record({ op: fc.constant('put' as const), source: sourceArb, key: textArb, json: textArb }),
  fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('reserve' as const), handles: fc.nat({ max: 300 }) }),
);

/** Runs ops against the table and a Map model (the table's handle allocation mirrors HashList's free list). */
type Op = { op: 'put'; source: string; key: string; json: string } | { op: 'remove'; pick: number } | { op: 'reserve'; handles: number };

function check(table: EntryTable, ops: Op[]): void {
  const model = new Map<number, Row>();
  const free: number[] = [];
  let end = 0;
  const findInModel = (source: string, key: string): number => {
    for (const [h, row] of model) if (row.source === source && row.key === key) return h;
    return -1;
  };
  for (const op of ops) {
    if (op.op === 'reserve') table.reserve(op.handles);
    else if (op.op === 'put') {
      const h = table.find(op.source, op.key);
      expect(h).toBe(findInModel(op.source, op.key));
      if (h >= 0) {
        table.replace(h, op.json);
        model.set(h, { source: op.source, key: op.key, json: op.json });
      } else {
        const handle = free.pop() ?? end++;
        table.insert(handle, op.source, op.key, op.json);
        model.set(handle, { source: op.source, key: op.key, json: op.json });
      }
    } else if (model.size > 0) {
      const handle = [...model.keys()][op.pick % model.size]!;
      table.remove(handle);
      model.delete(handle);
      free.push(handle);
    }
  }
  expect(table.size).toBe(model.size);
  let bytes = 0;
  for (const [h, row] of model) {
    expect(table.has(h)).toBe(true);
    expect(table.find(row.source, row.key)).toBe(h);
    expect(table.source(h)).toBe(row.source);
    expect(table.key(h)).toBe(row.key);
    expect(table.json(h)).toBe(row.json);
    bytes += Buffer.byteLength(row.key) + Buffer.byteLength(row.json);
  }
  for (const h of free) expect(table.has(h)).toBe(false);
  expect(table.textBytes).toBe(bytes);
  expect(table.bookedBytes).toBe(bytes + 8 * model.size);
}

describe('EntryTable', () => {
  it('answers like a map for any sequence of puts and removes (default sizes)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 200, size: 'max' }), (ops) => check(new EntryTable(), ops)));
  });

  it.each([64, 512])('answers like a map across chunk changes and compactions (%i-byte chunks)', (chunkBytes) => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 300, size: 'max' }), (ops) => check(new EntryTable({ chunkBytes }), ops)),
      { numRuns: 300 },
    );
  });

  it('reserve(n) sets room aside once: n entries then regrow neither the per-handle arrays nor the table', () => {
    const table = new EntryTable();
    table.insert(0, 'ncmec', 'k-0', '{}'); // room for 1024 handles and one chunk
    const before = table.memoryBytes();
    table.reserve(10_000);
    const reserved = table.memoryBytes();
    expect(reserved - before).toBeGreaterThanOrEqual(6 * 4 * (10_000 - 1024)); // six uint32 arrays per handle
    for (let h = 1; h < 10_000; h++) table.insert(h, 'ncmec', `k-${h}`, '{}');
    expect(table.memoryBytes()).toBe(reserved); // the entries' bytes fit the one chunk
    for (const h of [0, 1, 5000, 9999]) expect(table.find('ncmec', `k-${h}`)).toBe(h);
  });

  it('keeps keys apart that differ only in their source', () => {
    const table = new EntryTable();
    table.insert(0, 'a', 'k', '{"n":0}');
    expect(table.find('b', 'k')).toBe(-1);
    table.insert(1, 'b', 'k', '{"n":1}');
    expect(table.find('a', 'k')).toBe(0);
    expect(table.find('b', 'k')).toBe(1);
    expect(table.find('c', 'k')).toBe(-1);
  });

  it('compacts: memory returns near the live bytes after most entries are replaced', () => {
    const table = new EntryTable({ chunkBytes: 1 << 16 });
    const json = (i: number, round: number) => JSON.stringify({ i, round, pad: 'x'.repeat(100) });
    for (let i = 0; i < 2000; i++) table.insert(i, 'src', `key-${i}`, json(i, 0));
    const before = table.memoryBytes();
    for (let round = 1; round <= 5; round++) for (let i = 0; i < 2000; i++) table.replace(i, json(i, round));
    // Without compaction the arena would hold six copies of every record.
    expect(table.memoryBytes()).toBeLessThan(before * 2.5);
    for (let i = 0; i < 2000; i += 199) expect(table.json(i)).toBe(json(i, 5));
  });

  it('compacting a chunk keeps only the newest record of a key replaced within that chunk', () => {
    const table = new EntryTable({ chunkBytes: 1024 });
    table.insert(0, 's', 'k0', '"old"');
    table.replace(0, '"new"'); // both records in the first chunk: the older one is now dead
    for (let h = 1; h <= 40; h++) table.insert(h, 's', `k${h}`, `"${'p'.repeat(20)}"`);
    // The first chunk is full and no longer current; freeing most of it makes it compact.
    for (let h = 1; h <= 40; h++) table.remove(h);
    expect(table.json(0)).toBe('"new"');
    expect(table.find('s', 'k0')).toBe(0);
    expect(table.bookedBytes).toBe(8 + 2 + 5);
  });

  it('holds a record longer than a chunk', () => {
    const table = new EntryTable({ chunkBytes: 64 });
    const long = JSON.stringify({ blob: 'é'.repeat(500) });
    table.insert(0, 's', 'small', '{}');
    table.insert(1, 's', 'big', long);
    table.insert(2, 's', 'after', '{"a":1}');
    expect([table.json(0), table.json(1), table.json(2)]).toEqual(['{}', long, '{"a":1}']);
  });
});

describe('isWellFormedText', () => {
  it('is false exactly when the text does not survive UTF-8', () => {
    const units = fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0xd7f0, max: 0xe010 }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 12 });
    fc.assert(
      fc.property(units, (codes) => {
        const text = String.fromCharCode(...codes);
        expect(isWellFormedText(text)).toBe(Buffer.from(text, 'utf8').toString('utf8') === text);
      }),
      { numRuns: 5000 },
    );
  });
});
