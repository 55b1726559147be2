import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, chromium, type Page, type Request } from 'playwright-core';
import { REDIS_URL } from '../support/caches';
import { deleteSession, publish } from '../support/sample-client';
import { SampleProcess } from '../support/sample-process';

/**
 * The demo page in headless Chromium (Debian's `chromium` package; no browser download), with
 * the sample on Redis so its streams survive a restart of the server process.
 */

/** Where Debian's `chromium` package installs the browser; `CHROMIUM_PATH` points elsewhere. */
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
/** Always written; `UPDATE_SAMPLE_SCREENSHOT=1` also refreshes the one the sample's README shows. */
const SCREENSHOT = path.resolve('test-results/sample-page.png');
const README_SCREENSHOT = path.resolve('docs/sample-page.png');

/** The page's DOM as far as the functions run in the browser use it (the tests compile without the DOM library). */
interface PageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  classList: { contains(name: string): boolean };
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
};

interface ExpectedRow {
  id: string;
  type: string;
  data: string;
}

describe('sample page in a browser', () => {
  let app: SampleProcess;
  let browser: Browser;
  let page: Page;
  const sessionId = `demo-${randomUUID().slice(0, 13)}`;
  const streamId = 'news';

  before(async () => {
    app = await SampleProcess.start({ redisUrl: REDIS_URL });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  });

  after(async () => {
    await browser?.close();
    if (app) {
      await deleteSession(app.url, sessionId).catch(() => undefined);
      await app.stop();
    }
  });

  /** Publishes through the page's form and resolves with the id the page was answered. */
  async function publishThroughPage(data: string, type = ''): Promise<string> {
    const before = await page.getAttribute('#publish-result', 'data-id');
    await page.fill('#type', type);
    await page.fill('#data', data);
    await page.click('#publish');
    const handle = await page.waitForFunction((previous) => {
      const result = document.querySelector('#publish-result')!;
      if (result.classList.contains('bad')) return { failed: result.textContent };
      const id = result.dataset.id;
      return id && id !== previous ? { id } : null;
    }, before);
    const outcome = (await handle.jsonValue()) as { id?: string; failed?: string };
    assert.ok(outcome.id, `publishing through the page failed: ${outcome.failed}`);
    return outcome.id;
  }

  async function shownRows(): Promise<ExpectedRow[]> {
    return page.$$eval('#events tr[data-id]', (rows) =>
      rows.map((element) => {
        const row = element as unknown as PageElement;
        return { id: row.dataset.id!, type: row.dataset.type!, data: row.querySelector('td.data')!.textContent! };
      }),
    );
  }

  async function waitForRows(count: number): Promise<void> {
    await page.waitForFunction((expected) => document.querySelectorAll('#events tr[data-id]').length >= expected, count);
  }

  async function logLines(): Promise<string[]> {
    return page.$$eval('#log li span', (items) => items.map((item) => item.textContent ?? ''));
  }

  test('watches a stream live, and after a server restart reconnects with Last-Event-ID and shows every event once', {
    timeout: 120_000,
  }, async () => {
    const expected: ExpectedRow[] = [];
    const viaPage = async (data: unknown, type?: string): Promise<void> => {
      const id = await publishThroughPage(JSON.stringify(data), type);
      expected.push({ id, type: type ?? 'message', data: JSON.stringify(data) });
    };
    const viaHttp = async (data: unknown, type?: string): Promise<void> => {
      const { id } = await publish(app.url, sessionId, streamId, data, type);
      expected.push({ id, type: type ?? 'message', data: JSON.stringify(data) });
    };
    const streamRequests: Request[] = [];
    page.on('request', (request) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname.endsWith('/events')) streamRequests.push(request);
    });

    await page.goto(app.url);
    assert.equal(await page.title(), 'Resumable SSE sample');
    await page.fill('#session', sessionId);
    await page.fill('#stream', streamId);

    // The stream exists once it has an event; then the page watches it.
    await viaPage({ text: 'Breaking: the sample page works', n: 1 }, 'update');
    await page.click('#watch');
    await waitForRows(1);
    await viaPage({ text: 'untyped events arrive too', n: 2 });
    await viaHttp({ text: 'published with curl', n: 3 }, 'alert');
    await viaHttp({ text: 'more news', n: 4 }, 'update');
    await viaPage('plain text becomes a JSON string');
    await waitForRows(expected.length);
    const lastBeforeRestart = expected.at(-1)!.id;

    // Restart the server on the same port; the page notices the connection is gone.
    const port = app.port;
    await app.kill('SIGTERM');
    await page.waitForSelector('#log li.warn');
    app = await SampleProcess.start({ port, redisUrl: REDIS_URL });

    // Published while the page is still away, and after it is back.
    await viaHttp({ text: 'published during the restart', n: 6 }, 'update');
    await viaPage({ text: 'after the restart', n: 7 });
    await viaHttp({ text: 'still live', n: 8 }, 'alert');
    await waitForRows(expected.length);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'live');

    assert.deepEqual(await shownRows(), expected, 'every event exactly once, in order');
    assert.ok(
      (await logLines()).includes(`Reconnected after ${lastBeforeRestart}`),
      `the log shows the reconnection: ${JSON.stringify(await logLines())}`,
    );
    const sentIds = await Promise.all(streamRequests.map((request) => request.headerValue('last-event-id')));
    assert.ok(
      sentIds.includes(lastBeforeRestart),
      `EventSource reconnected with Last-Event-ID ${lastBeforeRestart}: ${JSON.stringify(sentIds)}`,
    );

    // Readings of /metrics since the restart, so the screenshot shows the Store panel's figures
    // (checked by a test of their own); a rate needs two readings that both have its counter.
    await page
      .waitForFunction(() => /^\d+\.\d$/.test(document.querySelector('#metric-delivered')?.textContent ?? ''), undefined, {
        timeout: 8_000,
      })
      .catch(() => undefined);
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    if (process.env.UPDATE_SAMPLE_SCREENSHOT === '1') {
      await mkdir(path.dirname(README_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: README_SCREENSHOT, fullPage: true });
    }

    // Completing the stream: the server ends it, EventSource reconnects with the last id and is
    // answered 204, so it stops (CLOSED); the page asks why and shows the stream completed, nothing twice.
    const streamAnswers: { lastEventId: string | null; status: number }[] = [];
    page.on('response', (response) => {
      const request = response.request();
      if (request.method() === 'GET' && new URL(request.url()).pathname.endsWith('/events')) {
        void request.headerValue('last-event-id').then((lastEventId) => streamAnswers.push({ lastEventId, status: response.status() }));
      }
    });
    await page.click('#complete');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'completed');
    assert.deepEqual(await shownRows(), expected);
    assert.ok((await logLines()).includes('Stream completed: every event was received.'), JSON.stringify(await logLines()));
    const lastId = expected.at(-1)!.id;
    assert.ok(
      streamAnswers.some((answer) => answer.lastEventId === lastId && answer.status === 204),
      `EventSource was answered 204 when it came back with the last id: ${JSON.stringify(streamAnswers)}`,
    );
    assert.equal(await page.isEnabled('#watch'), true, 'the page stopped watching');
  });

  test('when the session is deleted while watching, the page says why the browser stopped (404)', { timeout: 60_000 }, async () => {
    const deletedSession = `deleted-${randomUUID().slice(0, 13)}`;
    await page.goto(app.url);
    await page.fill('#session', deletedSession);
    await page.fill('#stream', streamId);
    const { id } = await publish(app.url, deletedSession, streamId, { text: 'soon gone' });
    await page.click('#watch');
    await waitForRows(1);
    assert.deepEqual(await shownRows(), [{ id, type: 'message', data: JSON.stringify({ text: 'soon gone' }) }]);

    // Deleting ends the reader; EventSource comes back with the id, is refused (404) and stops.
    await page.click('#delete-session');
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'refused');
    const lines = await logLines();
    const explanation = lines.find((line) => line.startsWith('The stream does not exist, or cannot be resumed'));
    assert.ok(explanation, `the log explains the refusal: ${JSON.stringify(lines)}`);
    assert.match(explanation, /\(404 /);
    assert.ok(!lines.some((line) => line.startsWith('Stream completed')), 'a deleted stream is not shown as completed');
  });

  test("the Store panel shows the store's figures read from /metrics: a number of active readers once the page watches", {
    timeout: 60_000,
  }, async () => {
    const panelSession = `panel-${randomUUID().slice(0, 13)}`;
    try {
      await page.goto(app.url);
      await page.fill('#session', panelSession);
      await page.fill('#stream', streamId);
      await publish(app.url, panelSession, streamId, { text: 'counted' });
      await page.click('#watch');
      await waitForRows(1);
      const figure = (id: string): Promise<string> => page.$eval(`#${id}`, (element) => element.textContent ?? '');
      // A reading every 2 s: the figures are there after a few, or the panel shows no number.
      const readers = await page
        .waitForFunction(() => Number(document.querySelector('#metric-readers')?.textContent) >= 1, undefined, { timeout: 15_000 })
        .then(
          () => figure('metric-readers'),
          async () => `no number: ${await figure('metric-readers')}`,
        );
      assert.match(readers, /^\d+$/, "active readers, the page's own among them");
      // Rates need two readings that both have the counter.
      await page
        .waitForFunction(() => /^\d+\.\d$/.test(document.querySelector('#metric-written')?.textContent ?? ''), undefined, {
          timeout: 15_000,
        })
        .catch(() => undefined);
      assert.match(await figure('metric-written'), /^\d+\.\d$/, 'events written per second');
      assert.match(await figure('metric-delivered'), /^\d+\.\d$/, 'events delivered per second');
    } finally {
      await deleteSession(app.url, panelSession).catch(() => undefined);
    }
  });
});
