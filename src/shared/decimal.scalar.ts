import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * Any plain decimal number. How many digits a field accepts (money: 10 before the point and 2
 * after) is an input rule (src/shared/validators.ts), reported with the input's other problems.
 */
const DECIMAL = /^-?\d{1,30}(\.\d{1,30})?$/;

function parseDecimal(text: string): string {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) {
    throw new GraphQLError(
      `Decimal must be a plain decimal number such as "19.99", got "${text.slice(0, 40)}"`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  return trimmed;
}

/**
 * Exact money on the wire: a decimal *string* ("19.99"), never a binary float. Literals may be
 * written as numbers (`price: 19.99`) because the document keeps their exact text; variables
 * should be strings, and numbers are accepted only when their text is exact.
 */
export const DecimalScalar = new GraphQLScalarType<string, string>({
  name: 'Decimal',
  description:
    'An exact decimal number, serialized as a string such as "19.99" (PostgreSQL numeric). Never a binary float.',
  serialize(value) {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    throw new GraphQLError('Decimal cannot represent a non-decimal value');
  },
  parseValue(value) {
    if (typeof value === 'string') return parseDecimal(value);
    if (typeof value === 'number' && Number.isFinite(value)) return parseDecimal(String(value));
    throw new GraphQLError('Decimal must be given as a string such as "19.99"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) {
      return parseDecimal(ast.value);
    }
    throw new GraphQLError('Decimal must be a string or number literal', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});

/**
 * A decimal as PostgreSQL prints a `numeric(p, scale)` column: no leading zeros, exactly `scale`
 * decimals ("019.9" → "19.90"). Written values take this form before they are stored, so a
 * mutation answers with the same text a later read gets (a client cache sees one value).
 * `text` has at most `scale` decimals (the input rules say so).
 */
export function asNumericText(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const digits = whole.replace(/^0+(?=\d)/, '');
  const result = scale > 0 ? `${digits}.${fraction.padEnd(scale, '0')}` : digits;
  return negative && /[1-9]/.test(result) ? `-${result}` : result;
}
