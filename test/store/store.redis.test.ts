import { defineStoreSuite } from './store-suite';

// The generic cache-manager path on Redis (`storage: 'generic'`); the native path runs the same
// suite in store.redis-native.test.ts. Required: without a reachable Redis (REDIS_URL, default
// 127.0.0.1:6379) and a redis-server binary these tests fail; they are never skipped.
defineStoreSuite('redis-generic');
