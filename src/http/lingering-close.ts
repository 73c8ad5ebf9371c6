import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface LingerBounds {
  /** Bytes read and discarded, at most, after the answer. */
  bytes: number;
  /** Milliseconds, at most. */
  ms: number;
}

/**
 * Closes the socket of a request refused before its body was read (413) the way nginx does
 * ("lingering close"): the answer is sent and the write side shut (FIN), then whatever the
 * client still sends is read and discarded — up to `bounds` — before the socket is destroyed.
 * Destroyed at once, as Node does after a `connection: close` answer, it would reset a client
 * still writing, whose kernel then throws the unread 413 away (EPIPE/ECONNRESET instead).
 *
 * Node internals, here only: its HTTP server ends such a socket by calling
 * `socket.destroySoon()` (end, then destroy once flushed); that call is replaced for this one
 * socket. lingering-close.test.ts fails by name if Node stops calling it.
 */
export function lingerOnClose(request: IncomingMessage, bounds: LingerBounds): void {
  const socket = request.socket as Socket & { destroySoon?: () => void };
  if (typeof socket.destroySoon !== 'function') return;
  socket.destroySoon = () => {
    let read = 0;
    const stop = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(stop, bounds.ms);
    timer.unref();
    socket.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > bounds.bytes) stop();
    });
    // The client has sent all it declared, or has finished sending (or given up).
    request.once('end', stop);
    socket.once('end', stop);
    socket.once('close', () => clearTimeout(timer));
    // The request's body, where nobody reads it any more, flows away instead of pausing the socket.
    request.resume();
    socket.end();
  };
}
