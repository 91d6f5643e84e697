import { describe, expect, it } from 'vitest';
import { AutoIndex } from './auto.js';
import { BkTreeIndex } from './bk-tree.js';
import { DEFAULT_INDEX, INDEX_NAMES, createHashIndex, isIndexName } from './create.js';
import { LinearIndex } from './linear.js';
import { MihIndex } from './mih.js';

describe('createHashIndex', () => {
  it('builds each named index, and the default when no name is given', () => {
    expect(INDEX_NAMES).toEqual(['auto', 'mih', 'bktree', 'linear']);
    expect(createHashIndex('linear')).toBeInstanceOf(LinearIndex);
    expect(createHashIndex('bktree')).toBeInstanceOf(BkTreeIndex);
    expect(createHashIndex('mih')).toBeInstanceOf(MihIndex);
    expect(createHashIndex('auto')).toBeInstanceOf(AutoIndex);
    expect(DEFAULT_INDEX).toBe('auto');
    expect(createHashIndex().name).toBe(DEFAULT_INDEX);
    expect(createHashIndex({}).name).toBe(DEFAULT_INDEX);
    expect(new Set(INDEX_NAMES.map((n) => createHashIndex(n).name)).size).toBe(INDEX_NAMES.length);
  });

  it('passes tuning options to mih and auto', () => {
    const index = createHashIndex({ name: 'mih', substringBits: 12 }) as MihIndex;
    expect(index.substringBits).toBe(12);
  });

  it('rejects unknown names and options eagerly', () => {
    expect(() => createHashIndex('kdtree' as never)).toThrow(
      new TypeError(`Expected \`name\` to be one of 'auto', 'mih', 'bktree', 'linear', got "kdtree"`),
    );
    expect(() => createHashIndex({ name: 'linear', substringBits: 16 })).toThrow(
      new TypeError("Expected no `substringBits` option for the 'linear' index (it applies to 'mih' and 'auto')"),
    );
    expect(() => createHashIndex({ index: 'mih' } as never)).toThrow(/got `index`/);
    expect(() => createHashIndex({ name: 'auto', substringBits: 25 })).toThrow(RangeError);
    expect(() => createHashIndex(42 as never)).toThrow(TypeError);
    expect(isIndexName('bktree')).toBe(true);
    expect(isIndexName('BKTREE')).toBe(false);
  });
});
