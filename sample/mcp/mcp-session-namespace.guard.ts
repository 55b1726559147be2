import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import { isMcpSessionId, MCP_SESSION_ID_PREFIX } from './mcp-session-ids';

/**
 * Keeps the sample's plain HTTP API out of the MCP sessions' namespace: a route with a
 * `:sessionId` parameter (every `/sessions/:sessionId/...` route) answers 403 for a session id
 * that starts with {@link MCP_SESSION_ID_PREFIX}, before anything reads, writes or deletes the
 * store. The check is on the namespace, not on a list of live sessions: it holds for every MCP
 * session, on every instance, before, during and after its life. Registered globally by the
 * sample's `AppModule`; the MCP endpoint (`/mcp`) takes its session from a header, not a route
 * parameter.
 *
 * The route parameter is checked as the routes receive it (percent-decoded), so `mcp%3A...` is
 * refused too. A `Last-Event-ID` of an MCP stream given to a `/sessions` route of another session
 * resumes nothing: the store refuses ids of other sessions (404).
 */
@Injectable()
export class McpSessionNamespaceGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const { params } = context.switchToHttp().getRequest<{ params?: Record<string, unknown> }>();
    const sessionId = params?.sessionId;
    if (typeof sessionId === 'string' && isMcpSessionId(sessionId)) {
      throw new ForbiddenException(
        `Session ids starting with '${MCP_SESSION_ID_PREFIX}' belong to MCP sessions, served at /mcp and /mcp-v2 only.`,
      );
    }
    return true;
  }
}
