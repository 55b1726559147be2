import { numberOf, type WriteAttempt } from './writer-loop';

/** What one client received, against what the writer was told. */
export interface DeliveryReport {
  /** Events the client received. */
  delivered: number;
  /** Acknowledged events it did not receive. */
  missing: number[];
  /** Events it received more than once (the repeats). */
  duplicated: number[];
  /** Events received after one with a higher number. */
  outOfOrder: number[];
  /** Received events whose publish request failed: they were stored after all (allowed). */
  storedThoughFailed: number[];
  /** Received events no request published (never allowed). */
  unexpected: number[];
  /** Acknowledged events received with another id than the one acknowledged. */
  wrongIds: number[];
}

/**
 * Compares the events a client received (in order) with the writer's attempts: every
 * acknowledged event must be there once, in order, with its id; an event whose request failed
 * may be there (once, in its place) or not.
 */
export function checkDelivery(received: readonly { id: string; data: string }[], attempts: readonly WriteAttempt[]): DeliveryReport {
  const byNumber = new Map(attempts.map((attempt) => [attempt.n, attempt]));
  const seen = new Set<number>();
  const report: DeliveryReport = {
    delivered: received.length,
    missing: [],
    duplicated: [],
    outOfOrder: [],
    storedThoughFailed: [],
    unexpected: [],
    wrongIds: [],
  };
  let highest = 0;
  for (const event of received) {
    const n = numberOf(event.data);
    if (seen.has(n)) report.duplicated.push(n);
    else if (n < highest) report.outOfOrder.push(n);
    seen.add(n);
    highest = Math.max(highest, n);
    const attempt = byNumber.get(n);
    if (!attempt) report.unexpected.push(n);
    else if (attempt.status !== 201) report.storedThoughFailed.push(n);
    else if (attempt.id !== event.id) report.wrongIds.push(n);
  }
  for (const attempt of attempts) if (attempt.status === 201 && !seen.has(attempt.n)) report.missing.push(attempt.n);
  return report;
}

/** The parts of a report that must be empty, for one `deepEqual`. */
export function deliveryFaults(report: DeliveryReport): Omit<DeliveryReport, 'delivered' | 'storedThoughFailed'> {
  const { missing, duplicated, outOfOrder, unexpected, wrongIds } = report;
  return { missing, duplicated, outOfOrder, unexpected, wrongIds };
}

export const NO_DELIVERY_FAULTS = { missing: [], duplicated: [], outOfOrder: [], unexpected: [], wrongIds: [] };
