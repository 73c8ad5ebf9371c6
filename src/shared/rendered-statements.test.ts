import { describe, expect, it } from '@jest/globals';
import { RenderedStatements } from './sql';

describe('RenderedStatements', () => {
  it('builds with its default bounds', () => {
    expect(() => new RenderedStatements()).not.toThrow();
  });

  it('renders a key once, keeps only the text and values, and forgets beyond its bound', () => {
    const statements = new RenderedStatements(120, 60); // key, text, a number: 17 characters, 34 bytes each here
    let renders = 0;
    const render = (sql: string) => () => {
      renders += 1;
      return { sql, bindings: [renders], method: 'select', toNative: () => ({}) };
    };
    const first = statements.get('a', render('select 1'));
    expect(statements.get('a', render('not used'))).toBe(first);
    expect(first).toEqual({ sql: 'select 1', bindings: [1] });
    for (const key of 'bcd') statements.get(key, render('select n')); // 136 > 120: 'a' goes
    expect(statements.get('a', render('select 1 again'))).toEqual({
      sql: 'select 1 again',
      bindings: [5],
    });
    expect(renders).toBe(5);
  });

  it('renders a statement too long to keep every time', () => {
    const statements = new RenderedStatements(1000, 40);
    const long = `select '${'x'.repeat(50)}'`;
    let renders = 0;
    const render = () => ((renders += 1), { sql: long, bindings: [] });
    statements.get('a', render);
    statements.get('a', render);
    expect(renders).toBe(2);
  });

  it('counts string values too: a long filter is a value, not text', () => {
    const statements = new RenderedStatements(1000, 40);
    let renders = 0;
    const render = () => ((renders += 1), { sql: 'select ?', bindings: ['x'.repeat(50)] });
    statements.get('a', render);
    statements.get('a', render);
    expect(renders).toBe(2);
  });
});
