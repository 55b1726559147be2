import { useRedisClient } from '../support/caches';
import './redis-native.test';

// The native path's client tests again, with every cache on iovalkey (`@keyv/valkey`) instead of node-redis,
// against the same Redis.
useRedisClient('valkey');
