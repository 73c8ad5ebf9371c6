import { describe, expect, it } from '@jest/globals';
import { Kind } from 'graphql';
import { asNumericText, DecimalScalar } from './decimal.scalar';

describe('Decimal', () => {
  it('keeps the exact text of literals and variables', () => {
    expect(DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '0.10' }, {})).toBe('0.10');
    expect(DecimalScalar.parseLiteral({ kind: Kind.STRING, value: '19.99' }, {})).toBe('19.99');
    expect(DecimalScalar.parseLiteral({ kind: Kind.INT, value: '42' }, {})).toBe('42');
    expect(DecimalScalar.parseValue('1234567890.12')).toBe('1234567890.12');
    expect(DecimalScalar.parseValue(0.3)).toBe('0.3');
  });

  it('leaves digit limits to the input rules', () => {
    expect(DecimalScalar.parseValue('1.234')).toBe('1.234');
  });

  it.each(['1e3', 'abc', '', '1.', '.5', 'NaN', '1,50', '1'.repeat(31)])('refuses %p', (text) => {
    expect(() => DecimalScalar.parseValue(text)).toThrow(/Decimal must/);
  });

  it('refuses non-numbers', () => {
    expect(() => DecimalScalar.parseValue(true)).toThrow();
    expect(() => DecimalScalar.parseValue(Number.POSITIVE_INFINITY)).toThrow();
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.BOOLEAN, value: true }, {})).toThrow();
  });

  it('serializes the database text unchanged', () => {
    expect(DecimalScalar.serialize('0.30')).toBe('0.30');
  });
});

describe('asNumericText', () => {
  it.each([
    ['19.9', '19.90'],
    ['19', '19.00'],
    ['019.99', '19.99'],
    ['0.5', '0.50'],
    ['000', '0.00'],
    ['-0.5', '-0.50'],
    ['-0', '0.00'],
    ['1234567890.1', '1234567890.10'],
  ])('prints %s as PostgreSQL does: %s', (text, printed) => {
    expect(asNumericText(text, 2)).toBe(printed);
  });
});
