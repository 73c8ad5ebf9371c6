import type { MikroORM, RequiredEntityData } from '@mikro-orm/postgresql';
import { randomBytes } from 'node:crypto';
import { Category } from '../../src/catalog/category/category.entity';
import { Product } from '../../src/catalog/product/product.entity';
import { Review } from '../../src/catalog/review/review.entity';

let sequence = 0;
const run = randomBytes(3).toString('hex').toUpperCase();

/** A value no other test (in this run or file) will use: each test acts on its own records. */
export function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${run}-${sequence}`;
}

/** Each factory writes through a fresh fork, like a separate request would. */
export async function createCategory(orm: MikroORM, data: Partial<Category> = {}) {
  const em = orm.em.fork();
  const slug = unique('cat').toLowerCase();
  const category = em.create(Category, { slug, name: `Category ${slug}`, ...data });
  await em.flush();
  return category;
}

/** Any of a product's own fields (a new one included); those left out get unique or plain values. */
export type ProductData = Partial<Omit<RequiredEntityData<Product>, 'category'>> & {
  category?: Category | null;
};

export async function createProducts(orm: MikroORM, rows: ProductData[]): Promise<Product[]> {
  const em = orm.em.fork();
  const products = rows.map(({ category, ...data }) =>
    em.create(Product, {
      sku: unique('SKU').toUpperCase(),
      name: unique('Product'),
      description: null,
      price: '10.00',
      stock: 5,
      ...data,
      category: category ? em.getReference(Category, category.id) : null,
    }),
  );
  await em.flush();
  return products;
}

export async function createProduct(orm: MikroORM, data: ProductData = {}): Promise<Product> {
  const [product] = await createProducts(orm, [data]);
  return product!;
}

export async function createReviews(
  orm: MikroORM,
  product: Product,
  ratings: number[],
  start = Date.UTC(2026, 0, 1),
): Promise<Review[]> {
  const em = orm.em.fork();
  const reviews = ratings.map((rating, i) =>
    em.create(Review, {
      product: em.getReference(Product, product.id),
      rating,
      title: `Title ${i}`,
      body: `Body ${i}`,
      author: unique('author'),
      createdAt: new Date(start + i * 60_000),
    }),
  );
  await em.flush();
  return reviews;
}
