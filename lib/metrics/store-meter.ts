import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Meter } from '@opentelemetry/api';
import { SseEventStoreConfigurationError } from '../errors/sse-event-store-configuration.error';
import type { SseMeterProvider } from './meter-provider.interface';

/** Name of the store's meter; every instrument's name starts with it too (`sse_event_store.`). */
export const STORE_METER_NAME = 'nestjs-sse-event-store';

/** The meter a store's instruments come from. */
export interface StoreMeter {
  /** `undefined` when `@opentelemetry/api` is not installed and no `meterProvider` was given: nothing is measured. */
  meter?: Meter;
  /**
   * False when the meter is the API's no-op one (no SDK registered): measurements are then
   * dropped, and what only feeds them (reading the clock) is skipped.
   */
  records: boolean;
}

/**
 * The meter of the given provider, else of the provider registered globally with
 * `@opentelemetry/api` at this moment (the API has no proxy provider: one registered later is not
 * seen by a store built before). `@opentelemetry/api` is an optional peer, loaded here on first
 * use only.
 */
export function storeMeter(provider?: SseMeterProvider): StoreMeter {
  const api = openTelemetryApi();
  const chosen = provider ?? api?.metrics.getMeterProvider();
  if (!chosen) return { records: false };
  const meter = chosen.getMeter(STORE_METER_NAME, packageVersion()) as Meter;
  if (!isMeter(meter)) {
    throw new SseEventStoreConfigurationError(
      `SseEventStoreModule option 'meterProvider' must be an OpenTelemetry MeterProvider: its getMeter() returned no Meter.`,
    );
  }
  return { meter, records: meter !== api?.createNoopMeter() };
}

let loadedApi: typeof OpenTelemetryApi | null | undefined;

/** `@opentelemetry/api` when it is installed; `undefined` otherwise. */
function openTelemetryApi(): typeof OpenTelemetryApi | undefined {
  if (loadedApi === undefined) {
    try {
      loadedApi = require('@opentelemetry/api') as typeof OpenTelemetryApi;
    } catch {
      loadedApi = null;
    }
  }
  return loadedApi ?? undefined;
}

let version: string | null | undefined;

/** This package's version, reported with the meter; `undefined` when its package.json cannot be read (a bundled application). */
function packageVersion(): string | undefined {
  if (version === undefined) {
    try {
      version = (require(`${STORE_METER_NAME}/package.json`) as { version?: string }).version ?? null;
    } catch {
      version = null;
    }
  }
  return version ?? undefined;
}

function isMeter(meter: unknown): meter is Meter {
  const candidate = meter as Partial<Record<keyof Meter, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.createCounter === 'function' &&
    typeof candidate.createUpDownCounter === 'function' &&
    typeof candidate.createHistogram === 'function' &&
    typeof candidate.createObservableGauge === 'function'
  );
}
