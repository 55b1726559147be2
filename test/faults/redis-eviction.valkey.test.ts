import { useRedisClient } from '../support/caches';
import './redis-eviction.test';

// The eviction tests again, with every cache on iovalkey (`@keyv/valkey`) instead of node-redis,
// against the same Redis.
useRedisClient('valkey');
