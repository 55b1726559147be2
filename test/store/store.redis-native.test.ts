import { defineStoreSuite } from './store-suite';

// The native Redis path (`storage: 'redis'`): the same suite as on the generic paths. Required:
// without a reachable Redis (REDIS_URL, default 127.0.0.1:6379) and a redis-server binary these
// tests fail; they are never skipped.
defineStoreSuite('redis-native');
