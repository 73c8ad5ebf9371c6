import { connect } from 'node:net';
import { supervise, type Supervised } from './child';

/**
 * A server binary run in the foreground as this process's child, as itself (Redis, nginx):
 * see supervise (its output kept, a stop that always ends it: SIGTERM, then SIGKILL after 5 s).
 */
export type Spawned = Supervised;

export function spawnServer(binary: string, args: string[]): Spawned {
  return supervise(binary, args, { signal: 'SIGTERM', killAfterMs: 5_000, asServiceUser: false });
}

/**
 * Polls until `probe` succeeds; fails early, with the server's output, if it exits. `probe`
 * should be a real exchange (a PING, an HTTP request), not only a TCP accept.
 */
export async function waitUntilServing(
  name: string,
  server: Spawned,
  probe: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`${name} exited before it was ready:\n${server.output()}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`${name} not ready after ${timeoutMs} ms:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Writes `request` to 127.0.0.1:`port` and resolves with what came back before `done` said so. */
export function exchange(
  port: number,
  request: string,
  done: (reply: string) => boolean,
  timeoutMs = 1_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => finish(new Error('timed out')));
    socket.once('error', finish);
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (done(reply)) finish();
    });
    socket.once('end', () => finish());
  });
}
