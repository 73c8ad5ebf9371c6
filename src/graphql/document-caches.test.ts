import { describe, expect, it } from '@jest/globals';
import { parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { compileQuery } from 'graphql-jit';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compiledBytes, documentBytes } from './document-caches';
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
});
