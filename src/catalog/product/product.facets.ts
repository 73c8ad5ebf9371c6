import { raw, type EntityManager, type ObjectQuery } from '@mikro-orm/postgresql';
import { Field, Int, ObjectType } from 'type-graphql';
import { DecimalScalar } from '../../shared/decimal.scalar';
import { Category } from '../category/category.entity';
import { Product } from './product.entity';

@ObjectType({ description: 'How many of the listed products are in one category.' })
export class CategoryFacet {
  @Field(() => Category, { description: 'The category.' })
  category!: Category;

  @Field(() => Int, { description: 'Products of the list in it.' })
  count!: number;
}

@ObjectType({ description: 'Lowest and highest price in the list.' })
export class PriceRange {
  @Field(() => DecimalScalar, { description: 'Lowest price.' })
  min!: string;

  @Field(() => DecimalScalar, { description: 'Highest price.' })
  max!: string;
}

@ObjectType({
  description: 'How many of the listed products average this many stars (rounded down).',
})
export class RatingFacet {
  @Field(() => Int, { description: 'Stars, 1 to 5.' })
  stars!: number;

  @Field(() => Int, { description: 'Products of the list whose average rounds down to it.' })
  count!: number;
}

@ObjectType({ description: 'How many of the listed products can be bought now.' })
export class InStockFacet {
  @Field(() => Int, { description: 'Products of the list with stock.' })
  count!: number;
}

/**
 * The counts a shop's sidebar needs, for exactly the list's filter and search (never the whole
 * table). Each field is one aggregate statement, run only when selected.
 */
@ObjectType({ description: "Counts over the whole list (all pages), for a shop's filters." })
export class ProductFacets {
  constructor(
    private readonly em: EntityManager,
    private readonly where: () => ObjectQuery<Product>,
  ) {}

  private aggregate(select: string[]) {
    return this.em
      .createQueryBuilder(Product, 'p')
      .select(select.map((s) => raw(s)))
      .where(this.where());
  }

  @Field(() => [CategoryFacet], { description: 'Products per category, most first.' })
  async categories(): Promise<CategoryFacet[]> {
    const rows = await this.aggregate(['p.category_id as category_id', 'count(*)::int as count'])
      .andWhere({ category: { $ne: null } })
      .groupBy('p.category_id')
      .execute<{ category_id: number; count: number }[]>('all', false);
    const categories = await this.em.find(Category, { id: rows.map((r) => r.category_id) });
    const byId = new Map(categories.map((c) => [c.id, c]));
    return rows
      .map((r) => ({ category: byId.get(r.category_id)!, count: r.count }))
      .sort((a, b) => b.count - a.count || a.category.name.localeCompare(b.category.name));
  }

  @Field(() => PriceRange, { nullable: true, description: 'Null when the list is empty.' })
  async priceRange(): Promise<PriceRange | null> {
    const [row] = await this.aggregate([
      'min(p.price)::text as min',
      'max(p.price)::text as max',
    ]).execute<{ min: string | null; max: string | null }[]>('all', false);
    return row?.min != null && row.max != null ? { min: row.min, max: row.max } : null;
  }

  @Field(() => [RatingFacet], { description: 'Products per star rating, 5 to 1 (reviewed only).' })
  async ratings(): Promise<RatingFacet[]> {
    const rows = await this.aggregate([
      'floor(p.rating_average)::int as stars',
      'count(*)::int as count',
    ])
      .andWhere({ ratingAverage: { $ne: null } })
      .groupBy(raw('floor(p.rating_average)'))
      .execute<{ stars: number; count: number }[]>('all', false);
    const counts = new Map(rows.map((r) => [r.stars, r.count]));
    return [5, 4, 3, 2, 1].map((stars) => ({ stars, count: counts.get(stars) ?? 0 }));
  }

  @Field(() => InStockFacet, { description: 'Products with stock.' })
  async inStock(): Promise<InStockFacet> {
    const [row] = await this.aggregate([
      'count(*) filter (where p.stock > 0)::int as count',
    ]).execute<{ count: number }[]>('all', false);
    return { count: row?.count ?? 0 };
  }
}
