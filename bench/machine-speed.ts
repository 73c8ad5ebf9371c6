/**
 * How fast this machine runs ordinary JavaScript right now: a fixed task (a W1 answer through
 * JSON.stringify and JSON.parse), timed in µs, the median of five rounds. A shared VM's speed
 * changes from one day to the next, and more for a server's large working set than for the
 * baseline's small one, so a run's ratios are read next to it: it tells a slow day from a
 * regression.
 */
export function machineSpeedMicros(): number {
  const answer = {
    data: {
      product: {
        id: '5',
        sku: 'SKU-00005',
        name: 'Product 5',
        price: '2.85',
        stock: 5,
        category: { id: '1', name: 'Category 01' },
      },
    },
  };
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < 50_000; i++) {
      sink += (JSON.parse(JSON.stringify(answer)) as { data: object }) === answer ? 1 : 0;
    }
    rounds.push(Number(process.hrtime.bigint() - started) / 1e3 / 50_000);
  }
  if (sink) throw new Error('unreachable: a parsed copy is never the original');
  rounds.sort((a, b) => a - b);
  return Math.round(rounds[2]! * 100) / 100;
}
