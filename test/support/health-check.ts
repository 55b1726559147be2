import assert from 'node:assert/strict';
import type { HealthCheckStatus } from '@nestjs/terminus';
import type { SseEventStoreHealthDetails } from '../../lib/terminus';
import type { RedisServerProcess } from './redis-server';

/** How long a state change may take to show in the health check: the deadline of every wait here. */
export const HEALTH_CHANGE_DEADLINE_MS = 10_000;

/** A terminus health check's JSON answer (200 or 503), with the store's entry under `sseEventStore`. */
export interface HealthAnswer {
  httpStatus: number;
  status: HealthCheckStatus;
  store: SseEventStoreHealthDetails & { status: 'up' | 'degraded' | 'down' };
}

/** `GET <url>` of a health check route, through real HTTP. */
export async function getHealth(url: string): Promise<HealthAnswer> {
  const response = await fetch(url);
  const body = (await response.json()) as { status: HealthCheckStatus; details: { sseEventStore: HealthAnswer['store'] } };
  assert.ok(body.details?.sseEventStore, `the answer has the store's entry: ${JSON.stringify(body)}`);
  return { httpStatus: response.status, status: body.status, store: body.details.sseEventStore };
}

/**
 * Asks the health check until `accept` takes an answer; fails with the last answer once
 * {@link HEALTH_CHANGE_DEADLINE_MS} has passed. `before` runs ahead of every request.
 */
export async function waitForHealth(
  url: string,
  what: string,
  accept: (answer: HealthAnswer) => boolean,
  before: () => Promise<unknown> = async () => undefined,
): Promise<HealthAnswer> {
  const deadline = Date.now() + HEALTH_CHANGE_DEADLINE_MS;
  let last: HealthAnswer | undefined;
  for (;;) {
    await before();
    last = await getHealth(url);
    if (accept(last)) return last;
    if (Date.now() > deadline) assert.fail(`no ${what} within ${HEALTH_CHANGE_DEADLINE_MS} ms; last answer: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const isHealthy = (answer: HealthAnswer): boolean => answer.httpStatus === 200 && answer.status === 'ok';
export const isDown = (answer: HealthAnswer): boolean => answer.httpStatus === 503;
export const isDegraded = (answer: HealthAnswer): boolean => answer.httpStatus === 200 && answer.status === 'degraded';

/**
 * Drops the store's pub/sub subscriber with `CLIENT KILL TYPE pubsub` until the health check
 * says degraded. The client reconnects on its own within a fraction of a second, so the
 * connection is dropped again before each request, which then finds it down.
 */
export function killPubSubUntilDegraded(url: string, server: RedisServerProcess): Promise<HealthAnswer> {
  return waitForHealth(url, 'degraded answer', isDegraded, () => server.command(['CLIENT', 'KILL', 'TYPE', 'pubsub']));
}
