import { describe, expect, it } from 'vitest';
import { flipBits, naiveQuery, prng, randomBits, randomHash } from '../../test/helpers/hamming.js';
import { BkTreeIndex } from './bk-tree.js';

describe('BkTreeIndex internals', () => {
  const rand = prng(7);
  const root = randomHash(rand);
  const flipped = randomBits(rand, 28);
  const child = flipBits(root, flipped.slice(0, 20));
  // Undo 4 of child's flips and make 4 new ones: still 20 bits from root, so it must descend under child.
  const grandchild = flipBits(child, [...flipped.slice(0, 4), ...flipped.slice(20, 24)]);

  it('builds the shape these tests rely on', () => {
    const tree = new BkTreeIndex();
    tree.apply({ add: [[1, root], [2, child], [3, grandchild]] });
    expect(tree.query(root, 20).map((m) => m.distance)).toEqual([0, 20, 20]);
    expect(tree.query(child, 8).map((m) => m.id)).toEqual([2, 3]);
  });

  it('turns a removed inner node into a tombstone that still routes, and revives it on re-add', () => {
    const tree = new BkTreeIndex();
    tree.apply({ add: [[1, root], [2, child], [3, grandchild]] });
    tree.remove(1);
    expect(tree.tombstones).toBe(1);
    expect(tree.query(grandchild, 0)).toEqual([{ id: 3, distance: 0 }]);
    expect(tree.query(root, 256).map((m) => m.id)).toEqual([2, 3]);
    tree.add(9, root);
    expect(tree.tombstones).toBe(0);
    expect(tree.query(root, 0)).toEqual([{ id: 9, distance: 0 }]);
  });

  it('unlinks removed leaves and their dead ancestors instead of leaving tombstones', () => {
    const tree = new BkTreeIndex();
    tree.apply({ add: [[1, root], [2, child], [3, grandchild]] });
    tree.remove(2);
    expect(tree.tombstones).toBe(1);
    tree.remove(3);
    expect(tree.tombstones).toBe(0);
    tree.remove(1);
    expect(tree.size).toBe(0);
    expect(tree.tombstones).toBe(0);
    expect(tree.query(root, 256)).toEqual([]);
  });

  it('keeps ids sharing a hash in one node; removing the node id promotes a duplicate', () => {
    const tree = new BkTreeIndex();
    tree.apply({ add: [[1, root], [2, root], [3, root], [4, child]] });
    tree.remove(1);
    expect(tree.tombstones).toBe(0);
    expect(tree.query(root, 0).map((m) => m.id)).toEqual([2, 3]);
    expect(tree.query(child, 0)).toEqual([{ id: 4, distance: 0 }]);
  });

  it('rebuilds once tombstones outnumber live entries, and answers the same afterwards', () => {
    const r = prng(11);
    const tree = new BkTreeIndex();
    const live = new Map<number, Uint8Array>();
    for (let id = 0; id < 2000; id++) {
      const h = randomHash(r);
      tree.add(id, h);
      live.set(id, h);
    }
    let peak = 0;
    for (let id = 0; id < 1900; id++) {
      tree.remove(id);
      live.delete(id);
      peak = Math.max(peak, tree.tombstones);
    }
    expect(peak).toBeGreaterThanOrEqual(256);
    expect(tree.tombstones).toBeLessThanOrEqual(Math.max(256, tree.size));
    const q = randomHash(r);
    expect(tree.query(q, 140)).toEqual(naiveQuery(live, q, 140));
  });
});
