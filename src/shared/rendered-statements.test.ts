import { describe, expect, it } from '@jest/globals';
import { RenderedStatements } from './sql';

describe('RenderedStatements', () => {
  it('renders a key once, keeps only the text and values, and forgets beyond its bound', () => {
    const statements = new RenderedStatements(2);
    let renders = 0;
    const render = (sql: string) => () => {
      renders += 1;
      return { sql, bindings: [renders], method: 'select', toNative: () => ({}) };
    };
    const first = statements.get('a', render('select 1'));
    expect(statements.get('a', render('not used'))).toBe(first);
    expect(first).toEqual({ sql: 'select 1', bindings: [1] });
    statements.get('b', render('select 2'));
    statements.get('c', render('select 3')); // 'a' is the least recently used: forgotten
    expect(statements.get('a', render('select 1 again'))).toEqual({
      sql: 'select 1 again',
      bindings: [4],
    });
    expect(renders).toBe(4);
  });
});
