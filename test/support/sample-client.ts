/** Calls to the sample app's HTTP interface, for tests. */

export interface PublishedEvent {
  id: string;
  /** The JSON text of the published data: what readers receive as `data:`. */
  data: string;
  type?: string;
}

export interface HttpAnswer {
  status: number;
  contentType: string | null;
  body: string;
}

/** Path of a stream's resource under the sample's base URL, ids URL-encoded. */
export function streamUrl(baseUrl: string, sessionId: string, streamId: string, suffix: 'events' | 'complete'): string {
  return `${baseUrl}/sessions/${encodeURIComponent(sessionId)}/streams/${encodeURIComponent(streamId)}/${suffix}`;
}

export async function request(method: string, url: string, body?: string, contentType = 'application/json'): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? undefined : { 'Content-Type': contentType },
    body,
  });
  return { status: response.status, contentType: response.headers.get('content-type'), body: await response.text() };
}

/** Publishes `{ data, type }` and checks the answer is `201 { id }`. */
export async function publish(baseUrl: string, sessionId: string, streamId: string, data: unknown, type?: string): Promise<PublishedEvent> {
  const payload = type === undefined ? { data } : { data, type };
  const answer = await request('POST', streamUrl(baseUrl, sessionId, streamId, 'events'), JSON.stringify(payload));
  if (answer.status !== 201) throw new Error(`Publishing answered ${answer.status}: ${answer.body}`);
  const { id } = JSON.parse(answer.body) as { id: unknown };
  if (typeof id !== 'string' || id.length === 0) throw new Error(`Publishing answered without an id: ${answer.body}`);
  const event: PublishedEvent = { id, data: JSON.stringify(data) };
  if (type !== undefined) event.type = type;
  return event;
}

/** Completes the stream; throws unless the answer is 2xx. */
export async function complete(baseUrl: string, sessionId: string, streamId: string): Promise<void> {
  const answer = await request('POST', streamUrl(baseUrl, sessionId, streamId, 'complete'));
  if (answer.status < 200 || answer.status >= 300) throw new Error(`Completing answered ${answer.status}: ${answer.body}`);
}

/** Deletes the session; throws unless the answer is 2xx. */
export async function deleteSession(baseUrl: string, sessionId: string): Promise<void> {
  const answer = await request('DELETE', `${baseUrl}/sessions/${encodeURIComponent(sessionId)}`);
  if (answer.status < 200 || answer.status >= 300) throw new Error(`Deleting answered ${answer.status}: ${answer.body}`);
}
