import { useRedisClient } from '../support/caches';
import './redis-script-reload.test';

// The script reload test again, on iovalkey (`@keyv/valkey`) instead of node-redis.
useRedisClient('valkey');
