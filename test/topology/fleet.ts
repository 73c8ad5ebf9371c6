import { signToken } from '../../src/auth/sign-token';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config';
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

/** For afterAll: every instance still running is killed, and awaited. */
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
