import { useRedisClient } from '../support/caches';
import { defineStoreSuite } from './store-suite';

// The native Redis path through the second client, iovalkey (`@keyv/valkey`), against the same
// Redis: the suite of the native path, with its caches on `@keyv/valkey` instead of `@keyv/redis`.
// Required: without a reachable Redis (REDIS_URL, default 127.0.0.1:6379) these tests fail; they
// are never skipped.
useRedisClient('valkey');
defineStoreSuite('redis-native');
