import { describe, expect, it } from '@jest/globals';
import {
  Kind,
  parse,
  specifiedRules,
  validate,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery } from 'graphql-jit';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createHash } from 'node:crypto';
import { compiledBytes, documentBytes, textEntryBytes } from './document-caches';
import { hoistLiterals } from './literal-hoisting';
import { buildCatalogSchema } from './schema';

/**
 * The caches' sizes are estimates: each must be at least what an entry really takes on the
 * heap, or a budget in bytes bounds nothing. Measured here as the sizes were chosen: the heap
 * after a full GC, over many distinct documents of each shape.
 */

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const SHAPES: Record<string, (i: number) => string> = {
  'a product lookup': (i) =>
    `query W1_${i}($id: ID!) { product(id: $id) { id sku name price stock category { id name } } }`,
  'a nested page': (i) =>
    `query W3_${i} { categories { id name products(first: 10) { edges { node { id name reviews(first: 3) { edges { node { id rating title author } } } } } } } }`,
  '20 aliases': (i) =>
    `query A${i} { ${Array.from({ length: 20 }, (_, k) => `a${k}: product(id: ${i * 20 + k}) { id name price category { id name slug } reviews(first: 2) { edges { node { id rating } } } }`).join(' ')} }`,
  'a fragment spread 20 times': (i) =>
    `query F${i} { ${Array.from({ length: 20 }, (_, k) => `a${k}: product(id: ${i * 20 + k}) { ...F }`).join(' ')} } fragment F on Product { id name price category { id name slug } reviews(first: 2) { edges { node { id rating } } } }`,
  'a 20 KB comment': (i) => `# ${'x'.repeat(20_000)}\nquery C${i} { product(id: ${i}) { id } }`,
};

/** Texts with literals, whose forms hold their values (compiled as hoisted: literal-hoisting.ts). */
const LITERAL_SHAPES: Record<string, (i: number) => string> = {
  ...SHAPES,
  'string literals': (i) =>
    `{ a: product(id: "${i}") { id } products(search: "lamp ${i}", filter: { text: "${'t'.repeat(200)}${i}", minPrice: "${i}.50" }) { totalCount } }`,
};

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A text's hoisted form as CompiledExecution keeps it until linked (its key, form, values). */
function textEntry(schema: GraphQLSchema, source: string) {
  const document = parse(source);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const form = hoistLiterals(schema, document, operation);
  return {
    key: `*:${sha(source)}`,
    form: `*:${sha(form.text)}`,
    literals: form.values,
    fieldLocations: form.fieldLocations,
  };
}

/** Heap retained per document by `make`, over `count` distinct documents. */
function measuredBytes(count: number, make: (i: number) => unknown): number {
  const kept: unknown[] = [];
  const before = heapUsed();
  for (let i = 0; i < count; i++) kept.push(make(i));
  const per = (heapUsed() - before) / count;
  kept.length = 0;
  return per;
}

describe('document cache sizes', () => {
  let schema: GraphQLSchema;
  const count = 100;

  it.each(Object.entries(SHAPES))('are no smaller than what %s takes', async (_name, shape) => {
    schema ??= await buildCatalogSchema();
    const example = parse(shape(0));

    const parsed = measuredBytes(count, (i) => {
      const document = parse(shape(i + 1000));
      expect(validate(schema, document, specifiedRules)).toEqual([]);
      return document;
    });
    expect(documentBytes(example)).toBeGreaterThanOrEqual(parsed);

    const compiled = measuredBytes(count, (i) => compileQuery(schema, parse(shape(i + 5000))));
    expect(compiledBytes(example)).toBeGreaterThanOrEqual(compiled);
    // Not wildly more either: a budget should hold about what it says.
    expect(compiledBytes(example)).toBeLessThan(4 * compiled);
  });

  it.each(Object.entries(LITERAL_SHAPES))(
    'book a text form no smaller than %s',
    async (_name, shape) => {
      schema ??= await buildCatalogSchema();
      const entry = textEntry(schema, shape(0));
      // Warmed up: the code hoisting runs is not a text's.
      for (let i = 0; i < 200; i++) textEntry(schema, shape(i + 8000));
      // A form is small beside the heap's own drift between two full GCs (±100 KB here), so
      // it is measured over many: over 100, one CI run read 2,551 bytes for 2,492 booked.
      const forms = measuredBytes(10 * count, (i) => textEntry(schema, shape(i + 9000)));
      expect(
        textEntryBytes(entry.key, entry.form, entry.literals, entry.fieldLocations.length),
      ).toBeGreaterThanOrEqual(forms);
    },
  );
});
