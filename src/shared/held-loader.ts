import DataLoader from 'dataloader';

/**
 * Rows by id for one request: batched like any DataLoader, and answered at once — a value, not a
 * promise — for what the request already holds (read before, or primed by a list that read it).
 *
 * Why not a plain DataLoader: its `load` always returns a promise, and graphql-js completes a
 * row asynchronously as soon as one of its fields is a promise. `products(first: 50) { …
 * category { name } }` then tracked 50 rows through promises for categories read with the page
 * itself. With a value, the whole page completes synchronously.
 */
export class HeldLoader<K, V> {
  private readonly held = new Map<K, V>();
  private readonly loader: DataLoader<K, V>;

  constructor(batch: (keys: readonly K[]) => Promise<V[]>) {
    this.loader = new DataLoader<K, V>(async (keys) => {
      const values = await batch(keys);
      keys.forEach((key, i) => {
        if (!this.held.has(key)) this.held.set(key, values[i]!);
      });
      return values;
    });
  }

  load(key: K): V | Promise<V> {
    return this.held.has(key) ? this.held.get(key)! : this.loader.load(key);
  }

  /** Keeps `value` for `key` unless the request already holds one (the first read wins). */
  prime(key: K, value: V): void {
    if (!this.held.has(key)) this.held.set(key, value);
  }
}
