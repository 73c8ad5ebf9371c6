import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

/**
 * A server binary run in the foreground as this process's child: its output kept (the tail, for
 * error messages), a wait until its port really answers, and a stop that always ends it.
 */
export interface Spawned {
  child: ChildProcess;
  /** The last lines it printed. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnServer(name: string, binary: string, args: string[]): Spawned {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (error) => lines.push(`${name}: ${error.message}`));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    child,
    output: () => lines.join('\n'),
    stop: async (graceMs = 5_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
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
