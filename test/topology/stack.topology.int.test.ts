import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { startStack, type Stack } from '../../scripts/stack';
import { describeWithDebian } from '../support/debian';

/**
 * `npm run stack` (scripts/stack.ts): the whole topology from Debian's packages comes up,
 * answers through nginx, notices a server that dies, and leaves nothing behind.
 */

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `root`'s descendants now, from /proc. */
function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone already
    }
  }
  const found = new Set([root]);
  for (let grown = true; grown;) {
    grown = false;
    for (const [pid, parent] of parents) {
      if (found.has(parent) && !found.has(pid)) grown = Boolean(found.add(pid));
    }
  }
  found.delete(root);
  return [...found];
}

const DEBIAN = [
  'postgres',
  'initdb',
  'pg_basebackup',
  'pgbouncer',
  'redis-server',
  'nginx',
] as const;

describeWithDebian(DEBIAN, 'npm run stack, the command', () => {
  it('prints the URLs once all is up, and stops every server on SIGTERM', async () => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'scripts/stack.ts'], {
      env: { ...process.env, STACK_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 120_000;
      while (!output.includes('The stack is up')) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(output);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const nginx = /GraphQL \(nginx\)\s+(\S+)/.exec(output)![1]!;
      const response = await fetch(nginx, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ categories { name } }' }),
      });
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();

      const servers = descendantsOf(child.pid!);
      expect(servers.length).toBeGreaterThanOrEqual(8);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(servers.filter(alive)).toEqual([]);
    } finally {
      if (child.exitCode === null) {
        for (const pid of descendantsOf(child.pid!)) process.kill(pid, 'SIGKILL');
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 180_000);
});

describeWithDebian(DEBIAN, 'npm run stack', () => {
  let stack: Stack | undefined;
  let upInMs = 0;
  const lines: string[] = [];

  beforeAll(async () => {
    const started = Date.now();
    stack = await startStack({ port: 0, log: (line) => lines.push(line) });
    upInMs = Date.now() - started;
  }, 120_000);
  afterAll(() => stack?.stop());

  it('comes up: a query through nginx reaches the seeded catalog on the primary, via PgBouncer', async () => {
    process.stdout.write(`stack up in ${upInMs} ms:\n  ${lines.join('\n  ')}\n`);
    const response = await fetch(`${stack!.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
    });
    const body = (await response.json()) as { data?: { products: { totalCount: number } } };
    expect(body.data?.products.totalCount).toBeGreaterThan(0);

    // The replica streams from the primary: the seeded rows are there too, read-only.
    const replica = new pg.Client({ connectionString: stack!.urls.replica });
    await replica.connect();
    try {
      const { rows } = await replica.query<{ recovery: boolean; products: string }>(
        'select pg_is_in_recovery() as recovery, (select count(*) from product) as products',
      );
      expect(rows[0]).toEqual({
        recovery: true,
        products: String(body.data!.products.totalCount),
      });
    } finally {
      await replica.end();
    }
  });

  it('reports a server that dies, and stops everything with nothing left running', async () => {
    const { pids, urls } = stack!;
    expect(pids.length).toBeGreaterThanOrEqual(8);
    // An instance killed from outside: the stack says so (npm run stack then stops it all).
    const instancePid = stack!.instancePids[0];
    expect(instancePid).toBeDefined();
    process.kill(instancePid!, 'SIGKILL');
    await expect(stack!.died).resolves.toMatch(/^instance 1 exited \(SIGKILL\)/);

    await stack!.stop();
    expect(pids.filter(alive)).toEqual([]);
    const answered = await fetch(`${urls.nginx}/nginx-alive`).then(
      () => true,
      () => false,
    );
    expect(answered).toBe(false);
  });
});
