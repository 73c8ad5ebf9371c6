import type { MikroORM } from '@mikro-orm/postgresql';
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

export interface ProductData {
  name?: string;
  description?: string | null;
  price?: string;
  stock?: number;
  category?: Category | null;
  createdAt?: Date;
}

export async function createProducts(orm: MikroORM, rows: ProductData[]): Promise<Product[]> {
  const em = orm.em.fork();
  const products = rows.map((data) =>
    em.create(Product, {
      sku: unique('SKU').toUpperCase(),
      name: data.name ?? unique('Product'),
      description: data.description ?? null,
      price: data.price ?? '10.00',
      stock: data.stock ?? 5,
      category: data.category ? em.getReference(Category, data.category.id) : null,
      ...(data.createdAt ? { createdAt: data.createdAt } : {}),
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
