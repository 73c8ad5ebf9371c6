import { epochMillis } from '../../shared/timestamp';
import type { Product } from './product.entity';

/** A product row as PostgreSQL returns it for productColumns. */
export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  description: string | null;
  price: string;
  stock: number;
  category_id: number | null;
  review_count: number;
  rating_average: string | null;
  /** Epoch milliseconds (see epochMillis). */
  created_at: number;
  updated_at: number;
  version: number;
}

/** What the read path selects: every column but the search vector, which no field shows. */
export const productColumns = (p: string): string =>
  `${p}.id, ${p}.sku, ${p}.name, ${p}.description, ${p}.price, ${p}.stock, ${p}.category_id, ` +
  `${p}.review_count, ${p}.rating_average, ${epochMillis(`${p}.created_at`)} as created_at, ` +
  `${epochMillis(`${p}.updated_at`)} as updated_at, ${p}.version`;

/** A product row with its category's columns (null without one): productAndCategoryColumns. */
export interface ProductAndCategoryRow extends ProductRow {
  category_slug: string | null;
  category_name: string | null;
}

/**
 * productColumns and the product's category: a lookup or a list reads both in one statement,
 * so `product(id) { category { name } }` is one round trip, not two.
 */
export const productAndCategoryColumns = (p: string): string =>
  `${productColumns(p)}, ` +
  `(select c.slug from category c where c.id = ${p}.category_id) as category_slug, ` +
  `(select c.name from category c where c.id = ${p}.category_id) as category_name`;

/**
 * A product as resolvers serve it: a plain snapshot of its row, not a managed entity. Reads never
 * change what they load, so they skip the unit of work's bookkeeping (identity map, a change
 * tracker per property, a snapshot per row), which was a third of a deep query's CPU. The GraphQL
 * type is still the entity's `@ObjectType`: the view has the same property names.
 */
export class ProductView {
  readonly id: number;
  readonly sku: string;
  readonly name: string;
  readonly description: string | null;
  readonly price: string;
  readonly stock: number;
  /** The category's id: `Product.category` loads the category itself, batched. */
  readonly categoryId: number | null;
  readonly reviewCount: number;
  readonly ratingAverage: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;

  constructor(row: ProductRow) {
    this.id = row.id;
    this.sku = row.sku;
    this.name = row.name;
    this.description = row.description;
    this.price = row.price;
    this.stock = row.stock;
    this.categoryId = row.category_id;
    this.reviewCount = row.review_count;
    this.ratingAverage = row.rating_average;
    this.createdAt = new Date(row.created_at);
    this.updatedAt = new Date(row.updated_at);
    this.version = row.version;
  }

  get averageRating(): number | null {
    return this.ratingAverage == null ? null : Number(this.ratingAverage);
  }

  /** A mutation's result: the entity as it was written. */
  static of(this: void, product: Product): ProductView {
    return new ProductView({
      id: product.id,
      sku: product.sku,
      name: product.name,
      description: product.description ?? null,
      price: product.price,
      stock: product.stock,
      category_id: product.category?.id ?? null,
      review_count: product.reviewCount,
      rating_average: product.ratingAverage ?? null,
      created_at: product.createdAt.getTime(),
      updated_at: product.updatedAt.getTime(),
      version: product.version,
    });
  }
}
