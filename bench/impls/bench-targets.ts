import type { BackendName, ImplName } from './bench-subject';
import { STORE_HAS_STORAGE_OPTION } from './store-subject';

/** An implementation on a backend, as the table shows it: one column per target. */
export interface Target {
  impl: ImplName;
  backend: BackendName;
  variant?: string;
}

/**
 * Everything the benchmark compares. `store/memory` and `store/redis` are whatever the store
 * picks by default on an in-memory or a Redis cache; the generic cache-manager path on each is
 * added when the store lets it be chosen.
 */
export function benchTargets(): Target[] {
  return [
    { impl: 'store', backend: 'memory' },
    ...(STORE_HAS_STORAGE_OPTION ? [{ impl: 'store', backend: 'memory', variant: 'generic' } as const] : []),
    { impl: 'store', backend: 'redis' },
    ...(STORE_HAS_STORAGE_OPTION ? [{ impl: 'store', backend: 'redis', variant: 'generic' } as const] : []),
    { impl: 'reference', backend: 'memory' },
    { impl: 'reference', backend: 'redis' },
    { impl: 'mcp-sdk-in-memory', backend: 'memory' },
    { impl: 'raw', backend: 'redis' },
  ];
}
