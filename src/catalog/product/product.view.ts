import { categoryReadModel, type CategoryRow } from '../category/category.view';
import { ReadModel, type JoinedRow } from '../read-model';
import { Product } from './product.entity';

/** What the read path selects of a product: every column but the search vector, which no field shows. */
export const productReadModel = new ReadModel(Product, {
  omit: ['searchVector'],
  derived: ['averageRating'],
});

/** A product as resolvers serve it (see ReadModel); `Product.category` loads by `categoryId`. */
export const ProductView = productReadModel.View;
export type ProductView = InstanceType<typeof ProductView>;
export type ProductRow = ConstructorParameters<typeof ProductView>[0];

export const productColumns = (p: string): string => productReadModel.columns(p);

/** The product's category, read in the same statement: a lookup or a list is one round trip. */
const productCategory = categoryReadModel.joined('category');

/** A product row with its category's columns (null without one): productAndCategory. */
export type ProductAndCategoryRow = ProductRow & JoinedRow<'category', CategoryRow>;

/**
 * A product (aliased `p`) with its category: the select list, and the join it reads the category
 * through (`… from product p ${join}`).
 */
export const productAndCategory = (p: string): { columns: string; join: string } => ({
  columns: `${productColumns(p)}, ${productCategory.columns}`,
  join: productCategory.join(`${p}.${productReadModel.column('categoryId')}`),
});

/** The category read along with a product; null without one. */
export const categoryOfProductRow = productCategory.read;
