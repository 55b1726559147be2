import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** The body of `POST /sessions/:sessionId/streams/:streamId/events`. */
export interface PublishEventBody {
  /** Any JSON value, `null` included. */
  data: unknown;
  /** SSE `event:` field; omitted for plain `message` events. */
  type?: string;
}

const EXPECTED_SHAPE = 'Expected a JSON object: { "data": <any JSON value>, "type"?: "<event type>" }.';

/** Checks the body of a publish request and answers 400 for anything else. */
@Injectable()
export class PublishEventBodyPipe implements PipeTransform<unknown, PublishEventBody> {
  transform(body: unknown): PublishEventBody {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new BadRequestException(EXPECTED_SHAPE);
    }
    const { data, type } = body as Record<string, unknown>;
    if (data === undefined) {
      throw new BadRequestException(`"data" is missing. ${EXPECTED_SHAPE}`);
    }
    if (type === undefined) return { data };
    if (typeof type !== 'string') {
      throw new BadRequestException(`"type" must be a string. ${EXPECTED_SHAPE}`);
    }
    return { data, type };
  }
}
