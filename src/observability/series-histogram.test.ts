import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from './series-histogram';

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations into prom-client's Histogram and ours, each in a registry of its own. */
function both(observe: (histogram: Histogram<'route' | 'status'>) => void) {
  const [theirs, ours] = [new Registry(), new Registry()];
  const config = {
    name: 'request_seconds',
    help: 'Requests by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: BUCKETS,
  };
  const reference = new Histogram({ ...config, registers: [theirs] });
  const series = new SeriesHistogram({ ...config, registers: [ours] });
  observe(reference);
  observe(series);
  return { theirs, ours, reference, series };
}

describe('SeriesHistogram', () => {
  it("exposes what prom-client's Histogram exposes, text and JSON, for the same observations", async () => {
    const { theirs, ours } = both((histogram) => {
      histogram.observe({ route: '/graphql', status: '200' }, 0.0004);
      histogram.observe({ route: '/graphql', status: '200' }, 0.01); // on a bound: that bucket
      histogram.observe({ route: '/graphql', status: '400' }, 0.05);
      histogram.observe({ status: '404' }, 7); // above every bound: +Inf only; a label left out
      histogram.observe({ route: '/graphql', status: '200' }, 0.2);
      histogram.labels('/health', '200').observe(0.002);
      histogram.labels({ route: '/health', status: '200' }).observe(0.003);
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
    expect(await ours.metrics()).toContain(
      'request_seconds_bucket{le="0.01",route="/graphql",status="200"} 2',
    );
  });

  it('refuses what prom-client refuses: a label not declared, a value that is not a number', () => {
    const { reference, series } = both(() => undefined);
    for (const histogram of [reference, series]) {
      expect(() =>
        histogram.observe({ route: '/', status: '200', method: 'GET' } as never, 1),
      ).toThrow('Added label "method" is not included in initial labelset');
      expect(() => histogram.observe({ route: '/', status: '200' }, NaN)).toThrow(TypeError);
    }
  });

  it("reset, zero and remove act on its series as on prom-client's", async () => {
    const { theirs, ours } = both((histogram) => {
      histogram.observe({ route: '/a', status: '200' }, 0.5);
      histogram.observe({ route: '/b', status: '200' }, 0.5);
      histogram.reset();
      histogram.observe({ route: '/c', status: '200' }, 0.5);
      histogram.zero({ route: '/d', status: '500' });
      histogram.observe({ route: '/e', status: '200' }, 0.5);
      histogram.remove('/e', '200');
    });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
