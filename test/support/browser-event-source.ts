import { type Browser, chromium, type Page, type Request } from 'playwright-core';

/**
 * Chromium's own EventSource, driven from a test: headless Debian `chromium` (no browser
 * download; `CHROMIUM_PATH` points elsewhere), a page of the application open, and an
 * EventSource made in it with `page.evaluate`, whose events and state changes are kept in the
 * page and read back.
 */

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** What the page's EventSource did, as read back from the page. */
export interface BrowserEventSourceRecord {
  events: { id: string; type: string; data: string }[];
  /** Every `error` event, with the readyState right after it (0 reconnecting, 2 closed for good). */
  errors: { at: number; readyState: number }[];
  opens: number;
  readyState: number;
}

/** One request the page's EventSource made for the stream, and its status. */
export interface BrowserStreamRequest {
  lastEventId: string | null;
  status?: number;
  /** Chromium's reason when the request failed without an answer, or broke mid-response. */
  failure?: string;
}

/** The page's globals the functions run in the browser use (the tests compile without the DOM library). */
declare const window: { __sse?: BrowserEventSourceRecord & { source: { readyState: number; close(): void } } } & Record<string, unknown>;
declare class EventSource {
  constructor(url: string);
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { lastEventId: string; type: string; data: string }) => void): void;
  close(): void;
}

/**
 * An EventSource in a page of the application, on `streamPath` (a path of the page's origin, so
 * the request is same-origin). Every request it makes is recorded with its status.
 */
export class BrowserEventSource {
  readonly requests: BrowserStreamRequest[] = [];
  /** What is still being learnt about the requests (their header and status come asynchronously). */
  private readonly recording: Promise<unknown>[] = [];

  private constructor(private readonly page: Page) {}

  /** Opens `pageUrl` in a new page of `browser` and starts an EventSource on `streamPath` there. */
  static async open(browser: Browser, pageUrl: string, streamPath: string): Promise<BrowserEventSource> {
    const page = await browser.newPage();
    const recorder = new BrowserEventSource(page);
    const isStream = (url: string): boolean => new URL(url).pathname === streamPath.split('?')[0];
    const entries = new Map<Request, BrowserStreamRequest>();
    page.on('request', (request) => {
      if (request.method() !== 'GET' || !isStream(request.url())) return;
      const entry: BrowserStreamRequest = { lastEventId: null };
      entries.set(request, entry);
      recorder.requests.push(entry);
      recorder.recording.push(
        request.headerValue('last-event-id').then((value) => (entry.lastEventId = value)),
        request.response().then(
          (response) => (entry.status = response?.status()),
          () => undefined,
        ),
      );
    });
    page.on('requestfailed', (request) => {
      const entry = entries.get(request);
      if (entry) entry.failure = request.failure()?.errorText ?? 'failed';
    });
    await page.goto(pageUrl);
    await page.evaluate((path) => {
      const source = new EventSource(path);
      const record = { events: [], errors: [], opens: 0, readyState: 0, source } as unknown as NonNullable<typeof window.__sse>;
      window.__sse = record;
      source.addEventListener('message', (event) => record.events.push({ id: event.lastEventId, type: event.type, data: event.data }));
      source.addEventListener('open', () => record.opens++);
      source.addEventListener('error', () => record.errors.push({ at: Date.now(), readyState: source.readyState }));
    }, streamPath);
    return recorder;
  }

  /** Resolves once the header and status of every request made so far are recorded. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.recording);
  }

  /** What the EventSource did so far. */
  async record(): Promise<BrowserEventSourceRecord> {
    return this.page.evaluate(() => {
      const record = window.__sse!;
      return { events: record.events, errors: record.errors, opens: record.opens, readyState: record.source.readyState };
    });
  }

  /** Resolves with the record once `condition` holds for it; rejects after `timeoutMs`. */
  async waitFor(
    condition: (record: BrowserEventSourceRecord) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<BrowserEventSourceRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const record = await this.record();
      if (condition(record)) return record;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${what}: ${record.events.length} events, readyState ${record.readyState}, ` +
            `${record.opens} opens, requests ${JSON.stringify(this.requests)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    await this.page.close();
  }
}
