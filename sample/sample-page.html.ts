/**
 * The demo page served at `GET /`: plain HTML, CSS and JavaScript, no build step and nothing
 * loaded from elsewhere. It watches a stream through the browser's EventSource (which sends
 * `Last-Event-ID` by itself when it reconnects), lists every event it receives, logs each
 * reconnection, and publishes events with fetch. When EventSource stops for good (readyState
 * CLOSED), the page asks the server why with a fetch of the stream after the last event shown:
 * 204 means the stream is complete; 404, 410 and 400 say why it cannot be resumed. A panel shows
 * the store's figures, read from `GET /metrics` (Prometheus text) every two seconds.
 */
export const SAMPLE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Resumable SSE sample</title>
<link rel="icon" href="data:,">
<style>
  :root {
    --bg: #f4f5f7; --card: #fff; --text: #1d2330; --muted: #667085; --line: #e3e6eb;
    --accent: #3b5bdb; --accent-soft: #edf2ff; --ok: #2b8a3e; --warn: #d9480f; --bad: #c92a2a;
    --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
  header { padding: 16px 28px; background: var(--card); border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 18px; }
  header p { margin: 2px 0 0; color: var(--muted); }
  main { display: grid; grid-template-columns: 330px minmax(0, 1fr); gap: 20px; padding: 20px 28px; max-width: 1280px; }
  .column { display: flex; flex-direction: column; gap: 20px; min-width: 0; }
  section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px 16px; }
  h2 { display: flex; align-items: center; justify-content: space-between; margin: 0 0 6px; font-size: 12px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
  label { display: block; margin: 10px 0 4px; font-size: 12px; color: var(--muted); }
  input, textarea { width: 100%; padding: 7px 9px; border: 1px solid var(--line); border-radius: 6px; font: inherit; color: inherit; background: #fff; }
  input:focus, textarea:focus { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
  input:disabled { background: var(--bg); color: var(--muted); }
  textarea { min-height: 62px; resize: vertical; font: 13px/1.4 var(--mono); }
  .buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
  button { padding: 6px 14px; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: #fff; font: inherit; cursor: pointer; }
  button.secondary { background: #fff; color: var(--accent); }
  button.danger { background: #fff; color: var(--bad); border-color: #f0b4b4; }
  button:disabled { opacity: .45; cursor: default; }
  .hint { margin: 6px 0 0; font-size: 12px; color: var(--muted); }
  .result { margin-top: 10px; font-size: 12px; color: var(--muted); word-break: break-all; min-height: 1.4em; }
  .result.bad { color: var(--bad); }
  .status { display: inline-flex; align-items: center; gap: 6px; padding: 1px 10px; border-radius: 999px; background: var(--bg); color: var(--muted); font-size: 12px; letter-spacing: 0; text-transform: none; font-weight: 500; }
  .status::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
  .status.live { background: #ebfbee; color: var(--ok); }
  .status.connecting { background: #fff4e6; color: var(--warn); }
  .status.failed { background: #fff5f5; color: var(--bad); }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  th { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; font-size: 12px; font-weight: 600; color: var(--muted); }
  td { padding: 6px 8px; border-bottom: 1px solid #eff1f4; vertical-align: top; }
  td.seq { width: 36px; color: var(--muted); }
  td.id, td.data { font: 12px/1.45 var(--mono); word-break: break-all; }
  td.id { width: 34%; color: var(--muted); }
  td.type { width: 90px; }
  .badge { display: inline-block; padding: 0 7px; border-radius: 4px; background: var(--accent-soft); color: var(--accent); font-size: 12px; }
  .badge.untyped { background: var(--bg); color: var(--muted); }
  tr.placeholder td { padding: 18px 8px; text-align: center; color: var(--muted); }
  .count { font-weight: 500; letter-spacing: 0; text-transform: none; }
  ol#log { margin: 0; padding: 0; list-style: none; max-height: 220px; overflow: auto; font-size: 13px; }
  ol#log li { display: flex; gap: 10px; padding: 4px 0; border-bottom: 1px solid #eff1f4; word-break: break-all; }
  ol#log li:last-child { border-bottom: 0; }
  ol#log time { flex: none; color: var(--muted); font: 12px/1.6 var(--mono); }
  ol#log li.ok { color: var(--ok); }
  ol#log li.warn { color: var(--warn); }
  ol#log li.bad { color: var(--bad); }
  ol#log li.reconnect { color: var(--accent); }
  .hint a { color: var(--accent); }
  dl.figures { display: grid; grid-template-columns: 1fr auto; gap: 4px 12px; margin: 8px 0 0; }
  dl.figures dt { color: var(--muted); }
  dl.figures dd { margin: 0; text-align: right; font: 600 13px/1.45 var(--mono); }
  @media (max-width: 860px) { main { grid-template-columns: 1fr; padding: 16px; } }
</style>
</head>
<body>
<header>
  <h1>Resumable Server-Sent Events</h1>
  <p>Watch a stream live, publish to it, restart the server: the browser reconnects with <code>Last-Event-ID</code> and misses nothing.</p>
</header>
<main>
  <div class="column">
    <section>
      <h2>Stream <span id="status" class="status">idle</span></h2>
      <label for="session">Session id</label>
      <input id="session" autocomplete="off">
      <label for="stream">Stream id</label>
      <input id="stream" value="news" autocomplete="off">
      <label for="types">Event types to listen for</label>
      <input id="types" value="update, alert" autocomplete="off">
      <p class="hint">EventSource only delivers the types it listens for; untyped events always arrive.</p>
      <div class="buttons">
        <button id="watch" type="button">Watch</button>
        <button id="stop" type="button" class="secondary" disabled>Stop</button>
        <button id="delete-session" type="button" class="danger">Delete session</button>
      </div>
    </section>
    <section>
      <h2>Publish</h2>
      <form id="publish-form">
        <label for="type">Event type (optional)</label>
        <input id="type" placeholder="update" autocomplete="off">
        <label for="data">Data (JSON; other text is sent as a string)</label>
        <textarea id="data">{"text": "hello"}</textarea>
        <div class="buttons">
          <button id="publish" type="submit">Publish</button>
          <button id="complete" type="button" class="secondary">Complete stream</button>
        </div>
      </form>
      <div id="publish-result" class="result"></div>
    </section>
    <section>
      <h2>Store</h2>
      <dl class="figures">
        <dt>Active readers</dt><dd id="metric-readers">—</dd>
        <dt>Events written per second</dt><dd id="metric-written">—</dd>
        <dt>Events delivered per second</dt><dd id="metric-delivered">—</dd>
        <dt>Cross-instance lag (mean)</dt><dd id="metric-lag">—</dd>
      </dl>
      <p class="hint">Read from <a href="/metrics">/metrics</a> every 2 s<span id="metrics-failure"></span>.</p>
    </section>
  </div>
  <div class="column">
    <section>
      <h2>Events <span id="event-count" class="count">0</span></h2>
      <table>
        <thead><tr><th>#</th><th>id</th><th>type</th><th>data</th></tr></thead>
        <tbody id="events"><tr class="placeholder"><td colspan="4">Press Watch to follow the stream.</td></tr></tbody>
      </table>
    </section>
    <section>
      <h2>Connection</h2>
      <ol id="log"></ol>
    </section>
  </div>
</main>
<script>
(function () {
  'use strict';
  var byId = function (id) { return document.getElementById(id); };
  var source = null;
  var listened = [];
  var lastSeenId = '';
  var shown = 0;
  var lostConnection = false;

  byId('session').value = 'demo-' + Math.random().toString(36).slice(2, 8);

  function streamPath(suffix) {
    return '/sessions/' + encodeURIComponent(byId('session').value.trim()) +
      '/streams/' + encodeURIComponent(byId('stream').value.trim()) + suffix;
  }

  function log(text, kind) {
    var item = document.createElement('li');
    if (kind) item.className = kind;
    var time = document.createElement('time');
    time.textContent = new Date().toLocaleTimeString();
    var message = document.createElement('span');
    message.textContent = text;
    item.append(time, message);
    byId('log').append(item);
    item.scrollIntoView({ block: 'nearest' });
  }

  function setStatus(kind, text) {
    byId('status').className = 'status ' + kind;
    byId('status').textContent = text;
  }

  function setWatching(watching) {
    ['session', 'stream', 'types', 'watch'].forEach(function (id) { byId(id).disabled = watching; });
    byId('stop').disabled = !watching;
  }

  function clearEvents(placeholder) {
    byId('events').innerHTML = '';
    var row = document.createElement('tr');
    row.className = 'placeholder';
    var cell = document.createElement('td');
    cell.colSpan = 4;
    cell.textContent = placeholder;
    row.append(cell);
    byId('events').append(row);
    shown = 0;
    byId('event-count').textContent = '0';
  }

  function showEvent(event) {
    if (shown === 0) byId('events').innerHTML = '';
    shown++;
    lastSeenId = event.lastEventId;
    var row = document.createElement('tr');
    row.dataset.id = event.lastEventId;
    row.dataset.type = event.type;
    var cells = [['seq', String(shown)], ['id', event.lastEventId], ['type', ''], ['data', event.data]];
    cells.forEach(function (entry) {
      var cell = document.createElement('td');
      cell.className = entry[0];
      cell.textContent = entry[1];
      row.append(cell);
    });
    var badge = document.createElement('span');
    badge.className = event.type === 'message' ? 'badge untyped' : 'badge';
    badge.textContent = event.type;
    row.children[2].append(badge);
    byId('events').append(row);
    byId('event-count').textContent = String(shown);
  }

  function listen(type) {
    if (!type || type === 'message' || listened.indexOf(type) >= 0) return;
    listened.push(type);
    // "open" and "error" are EventSource's own events; their handlers show messages of those types too.
    if (source && type !== 'open' && type !== 'error') source.addEventListener(type, showEvent);
  }

  function watch() {
    stop();
    listened = [];
    lastSeenId = '';
    lostConnection = false;
    clearEvents('Waiting for events...');
    var path = streamPath('/events');
    source = new EventSource(path);
    source.addEventListener('open', onOpen);
    source.addEventListener('message', showEvent);
    source.addEventListener('error', onError);
    byId('types').value.split(',').forEach(function (type) { listen(type.trim()); });
    setWatching(true);
    setStatus('connecting', 'connecting');
    log('Watching ' + path);
  }

  function stop() {
    if (!source) return;
    source.close();
    source = null;
    setWatching(false);
    setStatus('', 'stopped');
  }

  function onOpen(event) {
    if (event instanceof MessageEvent) return showEvent(event);
    if (lostConnection) log('Reconnected after ' + (lastSeenId || '(no event yet)'), 'reconnect');
    else log('Connected', 'ok');
    lostConnection = false;
    setStatus('live', 'live');
  }

  function onError(event) {
    if (event instanceof MessageEvent) return showEvent(event);
    if (!source) return;
    // CLOSED: the browser gave up for good (the server answered something other than an event stream).
    if (source.readyState === EventSource.CLOSED) return explainClosed();
    if (lostConnection) return; // a failed reconnection attempt; the browser keeps trying
    lostConnection = true;
    setStatus('connecting', 'reconnecting');
    log('Connection ended; the browser reconnects with Last-Event-ID ' + (lastSeenId || '(none)'), 'warn');
  }

  // What each refusal means for this page; the server's message follows it.
  var REFUSALS = {
    400: 'The last event id belongs to another stream of this session.',
    404: 'The stream does not exist, or cannot be resumed from the last event id (its session may have been deleted).',
    410: 'The events after the last one shown have expired: press Watch to read the stream from its start.'
  };

  // EventSource does not say why it stopped, so ask the server the same question with fetch:
  // the stream from the last event shown, whose status tells why.
  function explainClosed() {
    var path = streamPath('/events') + (lastSeenId ? '?lastEventId=' + encodeURIComponent(lastSeenId) : '');
    stop();
    setStatus('failed', 'closed');
    var request = new AbortController();
    fetch(path, { signal: request.signal, headers: { Accept: 'text/event-stream' } }).then(function (response) {
      if (response.status === 204) {
        request.abort();
        setStatus('', 'completed');
        log('Stream completed: every event was received.', 'ok');
        return;
      }
      if (response.ok) {
        // The stream answers now (it may have been a passing refusal): the answer is not read.
        request.abort();
        log('The browser stopped watching, but the stream can be read now: press Watch again.', 'bad');
        return;
      }
      return response.text().then(function (text) {
        var body = {};
        try { body = JSON.parse(text); } catch (notJson) { /* not Nest's JSON error body */ }
        var explanation = REFUSALS[response.status] || 'The server refused the stream.';
        setStatus('failed', 'refused');
        log(explanation + ' (' + response.status + ' ' + (body.message || response.statusText) + ')', 'bad');
      }).finally(function () { request.abort(); });
    }).catch(function () {
      request.abort();
      log('The connection failed and the server cannot be reached.', 'bad');
    });
  }

  function showResult(text, failed) {
    byId('publish-result').textContent = text;
    byId('publish-result').className = 'result' + (failed ? ' bad' : '');
  }

  function send(method, path, body) {
    var init = { method: method };
    if (body !== undefined) {
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (response) {
      return response.text().then(function (text) {
        var answer = text ? JSON.parse(text) : {};
        if (!response.ok) throw new Error(response.status + ' ' + (answer.message || response.statusText));
        return answer;
      });
    });
  }

  byId('publish-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var text = byId('data').value;
    var data;
    try { data = JSON.parse(text); } catch (notJson) { data = text; }
    var type = byId('type').value.trim();
    var body = { data: data };
    if (type) {
      body.type = type;
      listen(type);
    }
    send('POST', streamPath('/events'), body).then(function (answer) {
      byId('publish-result').dataset.id = answer.id;
      showResult('Published ' + answer.id);
    }, function (error) {
      showResult('Publishing failed: ' + error.message, true);
    });
  });

  byId('complete').addEventListener('click', function () {
    send('POST', streamPath('/complete')).then(function () {
      showResult('Stream completed: readers end after its last event.');
    }, function (error) {
      showResult('Completing failed: ' + error.message, true);
    });
  });

  byId('delete-session').addEventListener('click', function () {
    var sessionId = byId('session').value.trim();
    send('DELETE', '/sessions/' + encodeURIComponent(sessionId)).then(function () {
      log('Deleted session ' + sessionId + ': none of its events can be resumed.', 'bad');
    }, function (error) {
      log('Deleting session ' + sessionId + ' failed: ' + error.message, 'bad');
    });
  });

  // The store's figures from GET /metrics (Prometheus text): the readers gauge as it is; counters
  // and the lag histogram as their change since the previous reading. A figure the answer lacks
  // (no such metric yet, or the first reading) shows a dash.
  var METRICS_INTERVAL_MS = 2000;
  var previousReading = null;

  // Each metric's value, summed over its label sets (a histogram's _bucket lines are not used).
  function parseMetrics(text) {
    var values = {};
    text.split('\\n').forEach(function (line) {
      var match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{[^}]*\\})?\\s+(\\S+)/.exec(line);
      var value = match ? Number(match[2]) : NaN;
      if (isFinite(value)) values[match[1]] = (values[match[1]] || 0) + value;
    });
    return values;
  }

  // Change of a metric since the previous reading; undefined when either lacks it, or when it
  // went down (the server restarted).
  function change(reading, before, name) {
    if (!reading || !before || reading.values[name] === undefined || before.values[name] === undefined) return undefined;
    var delta = reading.values[name] - before.values[name];
    return delta >= 0 ? delta : undefined;
  }

  function showFigure(id, value, format) {
    byId(id).textContent = value === undefined ? '—' : format(value);
  }

  function showMetrics(reading, before) {
    var seconds = reading && before ? (reading.at - before.at) / 1000 : 0;
    var perSecond = function (name) {
      var delta = change(reading, before, name);
      return delta === undefined || seconds <= 0 ? undefined : delta / seconds;
    };
    var oneDecimal = function (value) { return value.toFixed(1); };
    showFigure('metric-readers', reading ? reading.values.sse_event_store_readers_active : undefined, String);
    showFigure('metric-written', perSecond('sse_event_store_events_written_total'), oneDecimal);
    showFigure('metric-delivered', perSecond('sse_event_store_events_delivered_total'), oneDecimal);
    // The mean lag of the wake-ups from other instances delivered since the previous reading.
    var lagCount = change(reading, before, 'sse_event_store_delivery_lag_count');
    var lagSum = change(reading, before, 'sse_event_store_delivery_lag_sum');
    showFigure('metric-lag', lagCount && lagSum !== undefined ? lagSum / lagCount : undefined, function (value) {
      return (value * 1000).toFixed(1) + ' ms';
    });
  }

  function readMetrics() {
    fetch('/metrics', { cache: 'no-store' }).then(function (response) {
      if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
      return response.text();
    }).then(function (text) {
      var reading = { at: Date.now(), values: parseMetrics(text) };
      showMetrics(reading, previousReading);
      previousReading = reading;
      byId('metrics-failure').textContent = '';
    }).catch(function (error) {
      previousReading = null;
      showMetrics(null, null);
      byId('metrics-failure').textContent = ' (the last reading failed: ' + error.message + ')';
    }).finally(function () {
      setTimeout(readMetrics, METRICS_INTERVAL_MS);
    });
  }

  readMetrics();
  byId('watch').addEventListener('click', watch);
  byId('stop').addEventListener('click', function () {
    stop();
    log('Stopped watching');
  });
})();
</script>
</body>
</html>
`;
