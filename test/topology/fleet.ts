import { signToken } from '../../src/auth/sign-token';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config';
import {
  holdSocket,
  type HeldProcess,
  type SocketHolder,
} from '../../scripts/topology/socket-holder';
import { request as httpRequest, type Agent } from 'node:http';
import { connect } from 'node:net';
import { freePort } from '../global-setup';
import { startMain, waitUntilReady, type Started } from '../support/process';

/** One `src/main.ts` process, as `npm start` runs it, listening on its own loopback port. */
export interface Instance {
  url: string;
  port: number;
  started: Started;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts (and waits ready) an instance over `databaseUrl`; SIGKILLed by `stopAll` if left running. */
export async function startInstance(
  databaseUrl: string,
  env: Record<string, string> = {},
  port?: number,
): Promise<Instance> {
  const listen = port ?? (await freePort());
  const url = `http://127.0.0.1:${listen}`;
  const started = startMain({
    DATABASE_URL: databaseUrl,
    PORT: String(listen),
    HOST: '127.0.0.1',
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    ...env,
  });
  running.add(started);
  try {
    await waitUntilReady(url, started);
  } catch (error) {
    started.child.kill('SIGKILL');
    throw error;
  }
  return {
    url,
    port: listen,
    started,
    stop: async () => {
      if (started.child.exitCode === null) started.child.kill('SIGTERM');
      return started.exited;
    },
  };
}

const running = new Set<Started>();
const holders = new Set<SocketHolder>();

/** An instance on a held socket (socket activation): restarts never close its port. */
export interface HeldInstance {
  url: string;
  port: number;
  /** Starts `src/main.ts` on the socket again; resolves once it answers ready. */
  start(): Promise<void>;
  /** SIGTERMs the running process; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * A socket held on a free loopback port (as systemd's .socket unit would) for `src/main.ts`,
 * nothing started on it yet. Stopped with `stopAll`.
 */
export async function holdMainSocket(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<{ holder: SocketHolder; url: string }> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const port = await freePort();
  const holder = await holdSocket({
    host: '127.0.0.1',
    port,
    backlog: 511,
    command: process.execPath,
    args: ['-r', '@swc-node/register', 'src/main.ts'],
    env: {
      ...inherited,
      NODE_ENV: 'development',
      DATABASE_URL: databaseUrl,
      // Not bound while the socket is passed; a free port of its own, so that a bind would show.
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  holders.add(holder);
  return { holder, url: `http://127.0.0.1:${port}` };
}

/** `holdMainSocket`, and `src/main.ts` started on it and ready. */
export async function startHeldInstance(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<HeldInstance> {
  const { holder, url } = await holdMainSocket(databaseUrl, env);
  const port = holder.port;
  let current: HeldProcess | undefined;
  const instance: HeldInstance = {
    url,
    port,
    start: async () => {
      const started = await holder.start();
      current = started;
      await waitUntilAnswersReady(url, started, holder);
    },
    stop: async () => {
      const serving = current;
      if (!serving) return null;
      try {
        process.kill(serving.pid, 'SIGTERM');
      } catch {
        // already gone: its exit code says how
      }
      return serving.exited;
    },
  };
  await instance.start();
  return instance;
}

/**
 * Until ready, a held socket's connections wait unanswered (nothing accepts them): each probe
 * gives up after a second, and the loop fails at once if the process exits.
 */
export async function waitUntilAnswersReady(
  url: string,
  started: HeldProcess,
  holder: SocketHolder,
) {
  let exited = false;
  void started.exited.then(() => (exited = true));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`server exited (${await started.exited}):\n${holder.output()}`);
    const status = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready in time:\n${holder.output()}`);
}

/** For afterAll: every instance still running is killed, and awaited; every socket holder stopped. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (started) => {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGKILL');
      }
      await started.exited;
    }),
  );
  running.clear();
  await Promise.all([...holders].map((holder) => holder.stop()));
  holders.clear();
}

export const adminToken = () => signToken(DEVELOPMENT_JWT_SECRET, { sub: 'ops', roles: ['admin'] });

export interface GqlResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** POSTs a document to one instance (or the load balancer) and returns its JSON. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: object = {},
  token?: string,
): Promise<GqlResult<T>> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GqlResult<T>;
}

export const codeOf = (result: GqlResult) =>
  (result.errors?.[0]?.extensions?.code as string | undefined) ?? 'OK';

/** A POST to `/graphql` through `agent` (one kept connection): status, `connection`, local port. */
export function postOnAgent(
  agent: Agent,
  url: string,
  body: string,
): Promise<{ status: number; connection?: string; socket: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/graphql`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            connection: res.headers.connection,
            socket: req.socket?.localPort ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether a connection to the port is refused (nothing listens there any more). */
export const connectionRefused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
