import { describe, expect, it } from '@jest/globals';
import { OperationGate } from './operation-gate';
import { ClientDeparture } from '../shared/client-departure';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('OperationGate', () => {
  it('admits up to its limit, then the waiting in arrival order', async () => {
    const gate = new OperationGate(2, 10_000);
    const order: string[] = [];
    const [a, b] = await Promise.all([gate.enter(), gate.enter()]);
    const waiting = ['c', 'd', 'e'].map((name) =>
      gate.enter().then((release) => {
        order.push(name);
        return release;
      }),
    );
    await tick();
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 2, waiting: 3 });
    a();
    a(); // a second release of the same turn changes nothing
    await tick();
    expect(order).toEqual(['c']);
    b();
    await tick();
    expect(order).toEqual(['c', 'd']);
    for (const release of await Promise.all(waiting.slice(0, 2))) release();
    await tick();
    expect(order).toEqual(['c', 'd', 'e']);
    (await waiting[2]!)();
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 0, waiting: 0 });
  });

  it('turns a waiter away with SERVICE_UNAVAILABLE once its wait runs out', async () => {
    const gate = new OperationGate(1, 20);
    const release = await gate.enter();
    await expect(gate.enter()).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503 } },
    });
    expect(gate.waiting).toBe(0);
    release();
    expect(gate.active).toBe(0);
  });

  it('lets a waiter leave when its client leaves, and refuses one already gone', async () => {
    const gate = new OperationGate(1, 10_000);
    const release = await gate.enter();
    const client = new ClientDeparture();
    const waiting = gate.enter(client);
    await tick();
    client.leave(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(gate.waiting).toBe(0);
    await expect(gate.enter(client)).rejects.toThrow('gone');
    release();
    expect(gate.active).toBe(0);
  });

  it('tells when nothing runs or waits any more', async () => {
    const gate = new OperationGate(1, 10_000);
    await gate.idle(); // idle from the start
    const first = await gate.enter();
    const left = new ClientDeparture();
    const second = gate.enter(left).catch(() => 'left');
    const third = gate.enter();
    let idle = false;
    void gate.idle().then(() => (idle = true));
    left.leave(); // the second leaves the queue before its turn
    expect(await second).toBe('left');
    first();
    const last = await third;
    await tick();
    expect(idle).toBe(false);
    last();
    await tick();
    expect(idle).toBe(true);
    expect({ active: gate.active, waiting: gate.waiting }).toEqual({ active: 0, waiting: 0 });
  });
});
