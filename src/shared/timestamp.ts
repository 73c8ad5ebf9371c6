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
