import { describe, expect, it } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import { refusal } from './request-guards';

const post = (host?: string) =>
  ({ method: 'POST', headers: { host } }) as unknown as FastifyRequest;

describe('refusal: the Host header', () => {
  it('refuses a missing or unusable Host every time, before and after a good one is remembered', () => {
    // First call of the process: no host has been accepted yet, and none must pass unchecked.
    expect(refusal(post(), 10)).toMatch(/Host header/);
    expect(refusal(post('localhost:4000'), 10)).toBeUndefined();
    expect(refusal(post('localhost:4000'), 10)).toBeUndefined();
    expect(refusal(post(), 10)).toMatch(/Host header/);
    expect(refusal(post(''), 10)).toMatch(/Host header/);
    expect(refusal(post('a b'), 10)).toMatch(/Host header/);
    expect(refusal(post('example.org'), 10)).toBeUndefined();
    expect(refusal(post('a b'), 10)).toMatch(/Host header/);
  });
});
