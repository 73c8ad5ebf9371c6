import { describe, expect, it } from '@jest/globals';
import { HeldLoader } from './held-loader';

describe('HeldLoader', () => {
  it('batches what it does not hold, then answers with values, not promises', async () => {
    const batches: number[][] = [];
    const loader = new HeldLoader<number, string | null>(async (ids) => {
      batches.push([...ids]);
      return ids.map((id) => (id < 100 ? `row ${id}` : null));
    });
    loader.prime(1, 'primed 1');
    expect(loader.load(1)).toBe('primed 1');
    const [two, three, missing] = await Promise.all([
      loader.load(2),
      loader.load(3),
      loader.load(100),
    ]);
    expect([two, three, missing]).toEqual(['row 2', 'row 3', null]);
    expect(batches).toEqual([[2, 3, 100]]);
    expect(loader.load(2)).toBe('row 2');
    expect(loader.load(100)).toBeNull();
    loader.prime(2, 'later'); // the first read wins
    expect(loader.load(2)).toBe('row 2');
    expect(batches).toHaveLength(1);
  });

  it('keeps a row primed while its batch was on the way', async () => {
    const loader = new HeldLoader<number, string>(async (ids) => ids.map((id) => `read ${id}`));
    const pending = loader.load(7);
    loader.prime(7, 'primed 7');
    expect(await pending).toBe('read 7');
    expect(loader.load(7)).toBe('primed 7');
  });
});
