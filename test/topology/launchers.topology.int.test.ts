import { afterAll, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from '../../scripts/topology/nginx';
import { startRedis } from '../../scripts/topology/redis';
import { exchange } from '../../scripts/topology/spawned';
import { freePort } from '../global-setup';
import { describeWithDebian } from '../support/debian';

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The processes still running whose command line mentions `text`. */
function runningWith(text: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

const canConnect = (port: number) =>
  exchange(port, 'PING\r\n', () => true, 500).then(
    () => true,
    () => false,
  );

describeWithDebian(['redis-server'], 'startRedis', () => {
  it('answers on loopback at once, keeps its files in its folder, and stops leaving nothing', async () => {
    const dir = tempDir('catalog-redis-');
    const port = await freePort();
    const redis = await startRedis({ dir, port });
    cleanups.push(() => redis.stop());
    expect(redis.url).toBe(`redis://127.0.0.1:${port}`);

    const reply = await exchange(port, 'CONFIG GET maxmemory-policy\r\n', (r) =>
      r.endsWith('lru\r\n'),
    );
    expect(reply).toContain('allkeys-lru');
    expect(existsSync(join(dir, 'redis.pid'))).toBe(true);
    const pid = readFileSync(join(dir, 'redis.pid'), 'utf8').trim();

    await redis.stop();
    expect(await canConnect(port)).toBe(false);
    expect(runningWith(`:${port}`).filter((l) => l.trim().startsWith(pid))).toEqual([]);
  });

  it('fails with the server’s own words when the port is taken', async () => {
    const port = await freePort();
    const first = await startRedis({ dir: tempDir('catalog-redis-'), port });
    cleanups.push(() => first.stop());
    await expect(startRedis({ dir: tempDir('catalog-redis-'), port })).rejects.toThrow(
      /redis-server exited before it was ready:[\s\S]*(in use|bind)/i,
    );
    await first.stop();
  });
});

describeWithDebian(['nginx'], 'startNginx', () => {
  it('balances over its upstreams, writes only in its folder, and stops leaving nothing', async () => {
    const upstreams: Server[] = [];
    const ports: number[] = [];
    for (const name of ['a', 'b']) {
      const server = createServer((req, res) => {
        res.setHeader('x-upstream', name);
        res.end(JSON.stringify({ name, requestId: req.headers['x-request-id'] ?? null }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => server.close(resolve)));
      server.keepAliveTimeout = 65_000;
      upstreams.push(server);
      const address = server.address();
      ports.push(typeof address === 'object' && address ? address.port : 0);
    }
    const dir = tempDir('catalog-nginx-');
    const port = await freePort();
    const nginx = await startNginx({
      dir,
      port,
      upstreams: ports.map((p) => `127.0.0.1:${p}`),
    });
    cleanups.push(() => nginx.stop());
    expect(nginx.url).toBe(`http://127.0.0.1:${port}`);

    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${nginx.url}/graphql`);
      seen.add(response.headers.get('x-upstream') ?? '');
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
    // A caller's request id is passed on; one is made up only when there is none.
    const kept = await fetch(`${nginx.url}/`, { headers: { 'x-request-id': 'abc-123' } });
    expect(((await kept.json()) as { requestId: string }).requestId).toBe('abc-123');
    const made = await fetch(`${nginx.url}/`);
    expect(((await made.json()) as { requestId: string }).requestId).toMatch(/^[0-9a-f]{32}$/);

    // One upstream gone: its requests go to the other, none fails.
    await new Promise((resolve) => upstreams[0]!.close(resolve));
    upstreams[0]!.closeAllConnections();
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${nginx.url}/graphql`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-upstream')).toBe('b');
    }

    expect(existsSync(join(dir, 'nginx.pid'))).toBe(true);
    expect(readFileSync(join(dir, 'access.log'), 'utf8')).toContain('POST /graphql');
    const master = readFileSync(join(dir, 'nginx.pid'), 'utf8').trim();
    await nginx.stop();
    expect(await canConnect(port)).toBe(false);
    expect(runningWith(`-p ${dir}`)).toEqual([]);
    expect(runningWith('nginx: worker').filter((l) => l.includes(master))).toEqual([]);
  });
});
