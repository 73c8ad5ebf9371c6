/** Splits a DataLoader batch into the keys that can share one statement, in first-seen order. */
export function groupBy<K>(keys: readonly K[], groupOf: (key: K) => string): K[][] {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const group = groups.get(groupOf(key));
    if (group) group.push(key);
    else groups.set(groupOf(key), [key]);
  }
  return [...groups.values()];
}

/**
 * A PostgreSQL int[] literal for `?::int[]`: knex expands a JS array parameter into a list
 * of parameters, which `unnest(?)` or `= any(?)` cannot take.
 */
export function intArrayParam(ids: readonly number[]): string {
  return `{${ids.map((id) => Math.trunc(id)).join(',')}}`;
}
