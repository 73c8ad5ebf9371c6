import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import { getMetadataStorage } from 'type-graphql';
import { createCategory, createProduct, createReviews } from '../../test/support/factories';
import { startTestServer, type TestServer } from '../../test/support/server';
import { buildCatalogSchema } from '../graphql/schema';
import { selectRows } from '../shared/sql';
import { epochMillis } from '../shared/timestamp';
import type { Category } from './category/category.entity';
import { categoryReadModel } from './category/category.view';
import type { Product } from './product/product.entity';
import {
  categoryOfProductRow,
  productAndCategory,
  productReadModel,
  type ProductAndCategoryRow,
} from './product/product.view';
import type { ReadModel } from './read-model';
import type { Review } from './review/review.entity';
import { reviewReadModel } from './review/review.view';

let server: TestServer;
let schema: GraphQLSchema;
let category: Category;
let product: Product;
let review: Review;

beforeAll(async () => {
  server = await startTestServer();
  schema = await buildCatalogSchema();
  category = await createCategory(server.orm);
  product = await createProduct(server.orm, { description: 'Every column set', category });
  review = (await createReviews(server.orm, product, [4]))[0]!;
});

afterAll(() => server.close());

type AnyReadModel = ReadModel<object, never, never>;
const models: [string, AnyReadModel, () => { id: number }][] = [
  ['Product', productReadModel as unknown as AnyReadModel, () => product],
  ['Category', categoryReadModel as unknown as AnyReadModel, () => category],
  ['Review', reviewReadModel as unknown as AnyReadModel, () => review],
];

/** One row read through the model's columns, as the loaders read them. */
async function readView(model: AnyReadModel, id: number): Promise<Record<string, unknown>> {
  const em = server.orm.em.fork();
  const [row] = await selectRows<object>(
    em,
    `select ${model.columns('t')} from ${model.table} t where t.id = ?`,
    [id],
  );
  return new model.View(row!);
}

/** Fields served by a resolver class (`ProductQueries.category`), not read off the view. */
function resolvedFields(typeName: string): Set<string> {
  return new Set(
    getMetadataStorage()
      .fieldResolvers.filter((r) => r.kind === 'external' && r.getObjectType?.().name === typeName)
      .map((r) => r.schemaName),
  );
}

describe.each(models)('the %s read model', (typeName, model, entity) => {
  it('serves every field of the GraphQL type that no resolver class serves', async () => {
    const view = await readView(model, entity().id);
    const type = schema.getType(typeName) as GraphQLObjectType;
    const resolved = resolvedFields(typeName);
    const missing = Object.keys(type.getFields()).filter(
      (field) => !resolved.has(field) && view[field] === undefined,
    );
    expect(missing).toEqual([]);
  });

  it('names the columns MikroORM maps the properties to', () => {
    const meta = server.orm.getMetadata().find(typeName)!;
    for (const property of model.properties) {
      const mapped = meta.properties[(property.relation ?? property.key) as never];
      expect([property.key, mapped?.fieldNames]).toEqual([property.key, [property.column]]);
    }
  });

  it("reads a row as a mutation's result shows the entity", async () => {
    const written = await server.orm.em.fork().findOneOrFail(typeName, { id: entity().id });
    expect(await readView(model, entity().id)).toEqual(model.of(written));
  });
});

describe('a product read with its category', () => {
  const withCategory = productAndCategory('p');

  it('gives the category view its loader would read', async () => {
    const em = server.orm.em.fork();
    const [row] = await selectRows<ProductAndCategoryRow>(
      em,
      `select ${withCategory.columns} from product p ${withCategory.join} where p.id = ?`,
      [product.id],
    );
    expect(categoryOfProductRow(row!)).toEqual(
      await readView(categoryReadModel as unknown as AnyReadModel, category.id),
    );
  });

  it('gives null without a category', async () => {
    const uncategorised = await createProduct(server.orm);
    const em = server.orm.em.fork();
    const [row] = await selectRows<ProductAndCategoryRow>(
      em,
      `select ${withCategory.columns} from product p ${withCategory.join} where p.id = ?`,
      [uncategorised.id],
    );
    expect(categoryOfProductRow(row!)).toBeNull();
  });
});

describe('a timestamp read as epoch milliseconds', () => {
  it('is the exact millisecond, whatever the date', async () => {
    // Whole seconds, the last millisecond of one, before 1970, and far ahead: a rounding slip
    // in float8 would show as one millisecond off.
    const instants = [
      '2026-12-04T23:59:59.999Z',
      '2026-12-05T00:00:00.000Z',
      '2026-03-01T12:34:56.001Z',
      '1969-12-31T23:59:59.999Z',
      '1900-01-01T00:00:00.005Z',
      '9999-12-31T23:59:59.999Z',
      // and many milliseconds of this century (several land just under a whole number in float8)
      ...Array.from({ length: 2000 }, (_, i) => new Date(1.7e12 + i * 86_400_007).toISOString()),
    ];
    const rows = await selectRows<{ at: string; ms: number }>(
      server.orm.em.fork(),
      `select at::text, ${epochMillis('at')} as ms
         from unnest(?::timestamptz(3)[]) with ordinality as t(at, n) order by n`,
      [`{${instants.join(',')}}`],
    );
    expect(rows.map((row) => new Date(row.ms).toISOString())).toEqual(instants);
  });
});
