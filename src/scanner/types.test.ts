import { describe, expectTypeOf, it } from 'vitest';
import type { DihedralName } from '../hash/dihedral.js';
import type {
  DigestMatch,
  FalsePositiveTarget,
  Match,
  MatchVerdict,
  NoMatchVerdict,
  PdqMatch,
  UnhashableReason,
  UnhashableVerdict,
  Verdict,
  VpdqMatch,
} from './types.js';

describe('verdict types', () => {
  it('narrows the verdict union on `kind`', () => {
    expectTypeOf<Verdict['kind']>().toEqualTypeOf<'match' | 'no_match' | 'unhashable'>();
    expectTypeOf<Extract<Verdict, { kind: 'match' }>>().toEqualTypeOf<MatchVerdict>();
    expectTypeOf<Extract<Verdict, { kind: 'no_match' }>>().toEqualTypeOf<NoMatchVerdict>();
    expectTypeOf<Extract<Verdict, { kind: 'unhashable' }>>().toEqualTypeOf<UnhashableVerdict>();
    expectTypeOf<MatchVerdict['matches']>().toEqualTypeOf<Match[]>();
    expectTypeOf<UnhashableVerdict['reason']>().toEqualTypeOf<UnhashableReason>();
    expectTypeOf<NoMatchVerdict>().not.toHaveProperty('matches');
    expectTypeOf<NoMatchVerdict>().not.toHaveProperty('reason');
  });

  it('gives every verdict its hashes, list version, exclusions and timing', () => {
    expectTypeOf<Verdict['listVersion']>().toEqualTypeOf<number>();
    expectTypeOf<Verdict['hashes']['sha256']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Verdict['excluded'][number]['reason']>().toEqualTypeOf<'entry' | 'content'>();
    expectTypeOf<Verdict['timing']['cached']>().toEqualTypeOf<boolean>();
  });

  it('narrows matches on `signal`', () => {
    expectTypeOf<Match['signal']>().toEqualTypeOf<'md5' | 'sha1' | 'sha256' | 'pdq' | 'vpdq'>();
    expectTypeOf<Extract<Match, { signal: 'pdq' }>>().toEqualTypeOf<PdqMatch>();
    expectTypeOf<Extract<Match, { signal: 'vpdq' }>>().toEqualTypeOf<VpdqMatch>();
    expectTypeOf<Extract<Match, { signal: 'md5' | 'sha1' | 'sha256' }>>().toEqualTypeOf<DigestMatch>();
    expectTypeOf<DigestMatch['distance']>().toEqualTypeOf<0>();
    expectTypeOf<PdqMatch['transform']>().toEqualTypeOf<DihedralName>();
    expectTypeOf<PdqMatch['frame']>().toEqualTypeOf<{ frame: number; timestamp: number; distance: number } | undefined>();
    expectTypeOf<VpdqMatch['queryPercent']>().toEqualTypeOf<number>();
    expectTypeOf<DigestMatch>().not.toHaveProperty('transform');
    expectTypeOf<PdqMatch>().not.toHaveProperty('queryPercent');
  });

  it('allowlists either an entry or a content hash', () => {
    expectTypeOf<{ list: string; entryId: string }>().toMatchTypeOf<FalsePositiveTarget>();
    expectTypeOf<{ sha256: string }>().toMatchTypeOf<FalsePositiveTarget>();
    expectTypeOf<{ list: string }>().not.toMatchTypeOf<FalsePositiveTarget>();
  });
});
