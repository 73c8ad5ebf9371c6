import {
  Histogram,
  type HistogramConfiguration,
  type LabelValues,
  type MetricObjectWithValues,
  type MetricValueWithName,
} from 'prom-client';

/** One label set's counts: per bucket (not cumulative), and the sum and count of values. */
interface Series<T extends string> {
  labels: LabelValues<T>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** A prom-client histogram value, with its label set apart as prom-client exports it. */
type ExportedValue<T extends string> = MetricValueWithName<T> & {
  sharedLabels: LabelValues<T>;
  exemplar?: null;
};

/** Stands for a label left out of an observation in a series' key (no value can be it). */
const MISSING = '\u0000';

/**
 * A prom-client Histogram (same name, labels, buckets and exposition, byte for byte) whose
 * `observe` costs a label-set lookup and an array increment: prom-client's own validates and
 * hashes the labels and indexes its buckets by number, the most costly work of a product
 * read after its SQL (docs/performance.md#per-request-overhead).
 */
export class SeriesHistogram<T extends string> extends Histogram<T> {
  private readonly series = new Map<string, Series<T>>();
  private readonly bounds: readonly number[];
  private readonly names: readonly T[];

  constructor(private readonly configuration: HistogramConfiguration<T>) {
    super(configuration);
    const self = this as unknown as { upperBounds: number[]; labelNames: T[] };
    this.bounds = self.upperBounds;
    this.names = self.labelNames;
    // prom-client sets `observe` on the instance: replaced the same way.
    this.observe = ((labels: LabelValues<T> | number, value?: number) =>
      typeof labels === 'number'
        ? this.record({}, labels)
        : this.record(labels, value!)) as Histogram<T>['observe'];
  }

  private record(labels: LabelValues<T>, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const series = this.seriesOf(labels);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) series.buckets[i]! += 1;
    series.sum += value;
    series.count += 1;
  }

  private seriesOf(labels: LabelValues<T>): Series<T> {
    let key = '';
    for (const name of this.names) {
      const value = labels[name];
      key += `${value === undefined ? MISSING : String(value)}\u0001`;
    }
    let series = this.series.get(key);
    if (!series) {
      for (const name of Object.keys(labels)) {
        if (!this.names.includes(name as T)) {
          throw new Error(`Added label "${name}" is not included in initial labelset`);
        }
      }
      series = {
        labels: { ...labels },
        buckets: new Float64Array(this.bounds.length),
        sum: 0,
        count: 0,
      };
      this.series.set(key, series);
    }
    return series;
  }

  override labels(...args: unknown[]): {
    observe(value: number): void;
    startTimer(labels?: LabelValues<T>): (labels?: LabelValues<T>) => number;
  } {
    const labels = (
      typeof args[0] === 'object' && args[0] !== null
        ? args[0]
        : Object.fromEntries(this.names.map((name, i) => [name, args[i]]))
    ) as LabelValues<T>;
    return {
      observe: (value) => this.record(labels, value),
      startTimer: (start) => this.startTimer({ ...labels, ...start }),
    };
  }

  override zero(labels: LabelValues<T>): void {
    const series = this.seriesOf(labels);
    series.buckets.fill(0);
    series.sum = series.count = 0;
  }

  override reset(): void {
    this.series?.clear(); // prom-client resets before this class has its fields
  }

  override remove(...args: unknown[]): void {
    const labels = (
      typeof args[0] === 'object' && args[0] !== null
        ? args[0]
        : Object.fromEntries(this.names.map((name, i) => [name, args[i]]))
    ) as LabelValues<T>;
    for (const [key, series] of this.series) {
      if (this.names.every((name) => series.labels[name] === labels[name])) this.series.delete(key);
    }
  }

  /** What prom-client's Histogram exports, in its order: buckets, +Inf, sum, count. */
  async getForPromString(): Promise<MetricObjectWithValues<ExportedValue<T>>> {
    const { name, help, aggregator = 'sum', collect } = this.configuration;
    await collect?.call(this);
    const values: ExportedValue<T>[] = [];
    const bucket = `${name}_bucket`;
    for (const { labels, buckets, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.bounds.forEach((le, i) => {
        cumulative += buckets[i]!;
        values.push(exported({ le } as LabelValues<T>, cumulative, bucket, labels, null));
      });
      values.push(exported({ le: '+Inf' } as LabelValues<T>, count, bucket, labels, null));
      values.push(exported({}, sum, `${name}_sum`, labels));
      values.push(exported({}, count, `${name}_count`, labels));
    }
    // As prom-client returns it (its type also names `collect`, which it leaves out).
    return {
      name,
      help,
      type: 'histogram',
      values,
      aggregator,
    } as unknown as MetricObjectWithValues<ExportedValue<T>>;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<T>>> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...value }) => ({
        ...value,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }
}

function exported<T extends string>(
  labels: LabelValues<T>,
  value: number,
  metricName: string,
  sharedLabels: LabelValues<T>,
  exemplar?: null,
): ExportedValue<T> {
  return { labels, sharedLabels, value, metricName, exemplar };
}
