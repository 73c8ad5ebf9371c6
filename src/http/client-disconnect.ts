import type { ServerResponse } from 'node:http';
import { ClientDeparture } from '../shared/client-departure';

/** Watches `response`: its socket closing with the answer unfinished is the client leaving. */
export function watchDeparture(response: ServerResponse): ClientDeparture {
  const departure = new ClientDeparture();
  response.once('close', () => {
    if (!response.writableFinished) departure.leave();
  });
  return departure;
}
