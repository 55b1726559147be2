import { collectGarbage } from '../support/heap';
import { deleteRedisKeys } from '../support/redis';
import type { BenchSubject, SubjectSpec } from './bench-subject';
import { createMcpSdkSubject } from './mcp-sdk-subject';
import { createRawRedisSubject } from './raw-redis-subject';
import { createReferenceSubject } from './reference-subject';
import { createStoreSubject } from './store-subject';

export async function createSubject(spec: SubjectSpec): Promise<BenchSubject> {
  switch (spec.impl) {
    case 'store':
      return createStoreSubject(spec);
    case 'reference':
      return createReferenceSubject(spec);
    case 'mcp-sdk-in-memory':
      return createMcpSdkSubject(spec);
    case 'raw':
      return createRawRedisSubject(spec);
  }
}

/**
 * Builds the subject, runs `use`, closes it and deletes whatever it wrote to Redis. Each subject
 * starts on a collected heap: what the one before left (an in-memory store's million events, say)
 * is collected now rather than during this one's measurement.
 */
export async function withSubject<T>(spec: SubjectSpec, use: (subject: BenchSubject) => Promise<T>): Promise<T> {
  collectGarbage();
  const subject = await createSubject(spec);
  try {
    return await use(subject);
  } finally {
    await subject.close();
    if (spec.backend === 'redis') await deleteRedisKeys(spec.keyPrefix);
  }
}
