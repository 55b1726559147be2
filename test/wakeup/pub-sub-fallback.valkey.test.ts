import { useRedisClient } from '../support/caches';
import './pub-sub-fallback.test';

// The pub/sub fallback test again, with every cache on iovalkey (`@keyv/valkey`) instead of node-redis,
// against the same Redis.
useRedisClient('valkey');
