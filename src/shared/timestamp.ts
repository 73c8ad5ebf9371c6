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
 */
export const epochMillis = (column: string): string =>
  `(extract(epoch from ${column}) * 1000)::float8`;
