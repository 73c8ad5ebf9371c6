import { describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

describe('Node contract relied on by src/http/lingering-close.ts', () => {
  it('ends the socket of a `connection: close` response through socket.destroySoon()', async () => {
    let called = false;
    const server = http.createServer((request, response) => {
      const socket = request.socket as Socket & { destroySoon: () => void };
      const original = socket.destroySoon.bind(socket);
      socket.destroySoon = () => {
        called = true;
        original();
      };
      response.writeHead(413, { connection: 'close' }).end('too large');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    await response.text();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(called).toBe(true);
  });
});
