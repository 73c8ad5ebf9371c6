/**
 * The column options of every timestamp here: millisecond precision (what a JS Date and a
 * cursor hold, so keyset pages on created_at never lose a row), a database default for rows
 * written by plain SQL, and the ORM's own value for rows it creates. A fresh object per column:
 * decorators keep the options they are given.
 */
export const timestampColumn = () =>
  ({
    type: 'datetime',
    columnType: 'timestamptz(3)',
    length: 3,
    defaultRaw: 'current_timestamp',
    onCreate: () => new Date(),
  }) as const;

/**
 * A timestamp column selected as epoch milliseconds (a float8 the driver returns as a number), for
 * the read views: `new Date(ms)` is exact for millisecond columns and much cheaper than parsing
 * the text MikroORM's driver settings return for timestamptz.
 *
 * `date_part` in float8, not `extract`, which returns numeric since PostgreSQL 14: numeric
 * arithmetic cost 0.3–0.5 µs a value against 0.1 µs, and W3 selects a thousand of them
 * (docs/performance.md#postgresqls-cpu-per-request). Still exact: the seconds are the double
 * nearest a whole number of milliseconds, off by less than 0.001 ms before year ~36,000 (|epoch|
 * < 2⁴⁰ s), so rounding after × 1000 gives that number, the same float8 `extract` gave.
 */
export const epochMillis = (column: string): string =>
  `round(date_part('epoch', ${column}) * 1000)`;
