import { useRedisClient } from '../support/caches';
import './redis-wakeup.test';

// The cross-instance wake-up tests again, with every cache on iovalkey (`@keyv/valkey`) instead of node-redis,
// against the same Redis.
useRedisClient('valkey');
