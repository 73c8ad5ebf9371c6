import { describe, expect, it, jest } from '@jest/globals';
import { ClientDeparture } from './client-departure';
import { ClientClosedRequestError } from './errors';

describe('ClientDeparture', () => {
  it('tells its watchers once, and not those that stopped watching', () => {
    const client = new ClientDeparture();
    const watching = jest.fn();
    const stopped = jest.fn();
    client.onLeave(watching);
    const stop = client.onLeave(stopped);
    stop();
    expect(client.reason).toBeUndefined();
    expect(() => client.throwIfGone()).not.toThrow();

    client.leave();
    client.leave();
    expect(watching).toHaveBeenCalledTimes(1);
    expect(stopped).not.toHaveBeenCalled();
    expect(client.reason).toBeInstanceOf(ClientClosedRequestError);
    expect(() => client.throwIfGone()).toThrow(ClientClosedRequestError);
  });

  it('gives a standard AbortSignal, made before or after the client leaves', () => {
    const early = new ClientDeparture();
    const signal = early.signal;
    expect(signal.aborted).toBe(false);
    early.leave(new Error('gone'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toEqual(new Error('gone'));
    expect(early.signal).toBe(signal);

    const late = new ClientDeparture();
    late.leave();
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(late.reason);
  });
});
