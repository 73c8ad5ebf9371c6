import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES, loadConfig } from '../src/config';

/** No systemd runs in CI: the units are checked for what they promise instead. */

type Unit = Record<string, Record<string, string[]>>;

/** systemd's unit syntax, as far as these files use it: sections, `Key=value`, # comments. */
function parseUnit(path: string): Unit {
  const unit: Unit = {};
  let section: Record<string, string[]> | undefined;
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      section = unit[header[1]!] = {};
      continue;
    }
    const pair = /^(\w+)=(.*)$/.exec(line);
    if (!pair || !section) throw new Error(`${path}: cannot read "${line}"`);
    (section[pair[1]!] ??= []).push(pair[2]!);
  }
  return unit;
}

const socket = parseUnit('deploy/systemd/catalog-graphql.socket');
const service = parseUnit('deploy/systemd/catalog-graphql.service');
const defaults = loadConfig({});

describe('deploy/systemd', () => {
  it('holds one stream socket on the default port, with a queue, for one service', () => {
    expect(socket.Socket?.ListenStream).toEqual([`127.0.0.1:${defaults.PORT}`]);
    expect(Number(socket.Socket?.Backlog?.[0])).toBeGreaterThanOrEqual(128);
    expect(socket.Socket?.Accept).toEqual(['no']);
    expect(socket.Socket?.Service).toEqual(['catalog-graphql.service']);
    expect(socket.Install?.WantedBy).toEqual(['sockets.target']);
  });

  it('runs the service on that socket, node itself as `npm start` does (LISTEN_PID names it)', () => {
    expect(service.Unit?.Requires).toEqual(['catalog-graphql.socket']);
    expect(service.Unit?.After?.[0]).toContain('catalog-graphql.socket');
    const start = (
      JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }
    ).scripts.start;
    expect(service.Service?.ExecStart).toEqual([start.replace(/^node /, '/usr/bin/node ')]);
  });

  it('stops it with SIGTERM and gives the drain more time than SHUTDOWN_TIMEOUT_MS', () => {
    expect(service.Service?.KillSignal).toEqual(['SIGTERM']);
    expect(service.Service?.KillMode).toEqual(['mixed']);
    const timeoutSeconds = Number(service.Service?.TimeoutStopSec?.[0]);
    expect(timeoutSeconds * 1000).toBeGreaterThan(defaults.SHUTDOWN_TIMEOUT_MS);
    expect(service.Service?.Restart).toEqual(['on-failure']);
  });

  it('sets only settings src/config.ts knows, and valid ones', () => {
    const env = Object.fromEntries(
      (service.Service?.Environment ?? []).map((pair) => pair.split('=') as [string, string]),
    );
    expect(Object.keys(env).filter((key) => !CONFIG_VARIABLES.includes(key))).toEqual([]);
    expect(() => loadConfig({ ...env, JWT_SECRET: 'x'.repeat(32) })).not.toThrow();
  });
});
