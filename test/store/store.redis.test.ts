import { defineStoreSuite } from './store-suite';

// Required: without a reachable Redis (REDIS_URL, default 127.0.0.1:6379) and a redis-server
// binary these tests fail; they are never skipped.
defineStoreSuite('redis');
