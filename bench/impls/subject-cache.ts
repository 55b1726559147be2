import { type Cache, createCache } from 'cache-manager';
import { countingCache } from '../../test/support/counting-cache';
import { createRedisCache } from '../support/redis';
import type { BenchSubject, SubjectSpec } from './bench-subject';

/** The cache-manager cache a subject runs on, counted when the spec asks, and how to let go of it. */
export function subjectCache(spec: SubjectSpec): { cache: Cache; cacheCalls?: BenchSubject['cacheCalls']; disconnect(): Promise<void> } {
  const base = spec.backend === 'redis' ? createRedisCache() : createCache();
  const counted = spec.countCacheCalls ? countingCache(base) : undefined;
  return {
    cache: counted?.cache ?? base,
    cacheCalls: counted,
    disconnect: async () => {
      if (spec.backend === 'redis') await base.disconnect();
    },
  };
}
