import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException } from '@nestjs/common';
import { readLastEventId } from '../../../lib/http/last-event-id';

describe('readLastEventId', () => {
  it('reads the Last-Event-ID header; an empty one means no id, as in EventSource', () => {
    assert.equal(readLastEventId({ headers: { 'last-event-id': 'a.b.1' } }, undefined), 'a.b.1');
    assert.equal(readLastEventId({ headers: { 'last-event-id': '' } }, undefined), undefined);
    assert.equal(readLastEventId({ headers: {} }, undefined), undefined);
  });

  it('reads the query parameter only when the route names one; the header wins', () => {
    const request = { headers: {}, query: { lastEventId: 'a.b.2' } };
    assert.equal(readLastEventId(request, undefined), undefined);
    assert.equal(readLastEventId(request, 'lastEventId'), 'a.b.2');
    assert.equal(readLastEventId({ ...request, headers: { 'last-event-id': 'a.b.3' } }, 'lastEventId'), 'a.b.3');
    assert.equal(readLastEventId({ headers: {}, query: { lastEventId: '' } }, 'lastEventId'), undefined);
  });

  it('refuses two positions of one kind with a 400', () => {
    assert.throws(() => readLastEventId({ headers: { 'last-event-id': ['a', 'b'] } }, undefined), BadRequestException);
    assert.throws(() => readLastEventId({ headers: {}, query: { lastEventId: ['a', 'b'] } }, 'lastEventId'), BadRequestException);
    assert.throws(() => readLastEventId({ headers: {}, query: { lastEventId: { nested: 'a' } } }, 'lastEventId'), BadRequestException);
  });
});
