import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A listening socket that outlives the processes serving it, as systemd's .socket unit keeps
 * it (docs/operations.md#socket-activation): socket-holder.py opens it and runs the command
 * on it, with systemd's LISTEN_FDS/LISTEN_PID, each time `start` is called.
 */
export interface SocketHolder {
  /** The held socket's port. */
  port: number;
  /** Runs the command once more on the socket; resolves with that process. */
  start(): Promise<HeldProcess>;
  /** What the commands printed (their stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERMs the commands still running (SIGKILL after 5 s), then closes the socket. */
  stop(): Promise<void>;
}

export interface HeldProcess {
  pid: number;
  /** Resolves with its exit code, or null when a signal ended it. */
  exited: Promise<number | null>;
}

interface HolderEvent {
  event: 'listening' | 'started' | 'exited';
  port?: number;
  pid?: number;
  code?: number | null;
}

const HOLDER = resolve(__dirname, 'socket-holder.py');

export async function holdSocket(options: {
  host: string;
  /** 0: a free one, chosen by the kernel. */
  port: number;
  /** The queue's length while no process accepts (systemd's Backlog=). */
  backlog: number;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}): Promise<SocketHolder> {
  const child = spawn(
    'python3',
    [
      HOLDER,
      options.host,
      String(options.port),
      String(options.backlog),
      '--',
      options.command,
    ].concat(options.args),
    { stdio: ['pipe', 'pipe', 'pipe'], env: options.env },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  });
  const exitedHolder = new Promise<void>((done) => child.once('exit', () => done()));
  const waiting: ((event: HolderEvent) => boolean)[] = [];
  // By pid: an exit may be read before the start that made the process has resolved.
  const exits = new Map<
    number,
    { exited: Promise<number | null>; settle(code: number | null): void }
  >();
  const exitOf = (pid: number) => {
    let entry = exits.get(pid);
    if (!entry) {
      let settle!: (code: number | null) => void;
      const exited = new Promise<number | null>((done) => (settle = done));
      entry = { exited, settle };
      exits.set(pid, entry);
    }
    return entry;
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as HolderEvent;
    if (event.event === 'exited') exitOf(event.pid!).settle(event.code ?? null);
    const index = waiting.findIndex((take) => take(event));
    if (index >= 0) waiting.splice(index, 1);
  });
  const next = (kind: HolderEvent['event']) =>
    new Promise<HolderEvent>((resolveEvent, reject) => {
      const onExit = () => reject(new Error(`socket holder exited:\n${output}`));
      child.once('exit', onExit);
      waiting.push((event) => {
        if (event.event !== kind) return false;
        child.off('exit', onExit);
        resolveEvent(event);
        return true;
      });
    });

  const { port } = await next('listening');
  let stopping: Promise<void> | undefined;
  return {
    port: port!,
    output: () => output,
    start: async () => {
      const started = next('started');
      child.stdin.write('start\n');
      const { pid } = await started;
      return { pid: pid!, exited: exitOf(pid!).exited };
    },
    stop() {
      // The holder ends its commands when its stdin ends; SIGKILL if it has not within 10 s.
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exitedHolder;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
