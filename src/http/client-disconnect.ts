import type { ServerResponse } from 'node:http';
import { ClientClosedRequestError } from '../shared/errors';

/**
 * A signal that aborts when the client goes away before its response is complete: the socket
 * closed with the response unfinished. What the request started listens to it: its wait for an
 * operation slot ends and its running SQL is cancelled (see shared/sql.ts).
 */
export function abortOnDisconnect(response: ServerResponse): AbortSignal {
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new ClientClosedRequestError());
  });
  return controller.signal;
}
