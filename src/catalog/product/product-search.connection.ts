import type { EntityManager } from '@mikro-orm/postgresql';
import { Arg, Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { Loaders } from '../../graphql/loaders';
import { BadUserInputError } from '../../shared/errors';
import type { ConnectionData } from '../../shared/connection';
import { PageInfo, type PageEdge } from '../../shared/pagination';
import { Product } from './product.entity';
import { ProductFacets } from './product.facets';
import type { ProductSearch } from './product.search';
import type { ProductPageQuery } from './product.reads';
import type { ProductView } from './product.view';
import { countProducts, CountMode } from './product.count';

registerEnumType(CountMode, {
  name: 'CountMode',
  description: 'How totalCount counts.',
  valuesConfig: {
    EXACT: { description: 'count(*): exact, and as slow as the list is long.' },
    ESTIMATED: { description: "The query planner's estimate: instant, approximate." },
    CAPPED: { description: 'Exact up to `cap`; cap + 1 means "more than cap".' },
  },
});

@ObjectType({
  description: 'One product in a page of a search or list, with its cursor.',
  simpleResolvers: true,
})
export class ProductSearchEdge {
  constructor(
    private readonly edge: PageEdge<ProductView>,
    private readonly loaders: Loaders,
    private readonly search: ProductSearch | null,
  ) {}

  @Field({ description: 'Pass as `after` (or `before`) to continue from this edge.' })
  get cursor(): string {
    return this.edge.cursor;
  }

  @Field(() => Product, { description: 'The product.' })
  get node(): ProductView {
    return this.edge.node;
  }

  @Field(() => String, {
    nullable: true,
    description:
      'Where the search matched, as HTML-escaped text with <mark> around the matching words; null without a search.',
  })
  highlight(): Promise<string | null> {
    const { search } = this;
    if (!search) return Promise.resolve(null);
    return this.loaders.searchHighlight.load({ productId: this.edge.node.id, text: search.text });
  }
}

@ObjectType({ description: 'A count that stops at a cap, and whether it did.' })
export class CappedCount {
  @Field(() => Int, { description: 'The count, at most the cap.' })
  count!: number;

  @Field({ description: 'True when the list has more than `count` products ("1000+").' })
  capped!: boolean;
}

/** Query.products: a Relay page, and over the whole list a count in three modes and facets. */
@ObjectType({
  description: 'A page of products (Relay connection) with counts and facets over the whole list.',
  simpleResolvers: true,
})
export class ProductSearchConnection {
  @Field(() => [ProductSearchEdge], { description: 'The rows of this page, in order.' })
  edges!: ProductSearchEdge[];

  @Field(() => PageInfo, { description: 'Where this page sits in the whole list.' })
  pageInfo!: PageInfo;

  private em!: EntityManager;
  private query!: ProductPageQuery;

  @Field(() => Int, { description: 'How many products the whole list has (all pages).' })
  totalCount(
    @Arg('mode', () => CountMode, { defaultValue: CountMode.EXACT, description: 'How to count.' })
    mode: CountMode,
    @Arg('cap', () => Int, { defaultValue: 1000, description: 'Where CAPPED stops (1 to 100000).' })
    cap: number,
  ): Promise<number> {
    if (cap < 1 || cap > 100_000)
      throw BadUserInputError.field('cap', 'range', 'must be 1 to 100000');
    return countProducts(this.em, this.query.where, mode, cap);
  }

  @Field(() => CappedCount, {
    description: 'Counts up to `cap` and says whether there are more: cheap on huge lists.',
  })
  async cappedCount(
    @Arg('cap', () => Int, { defaultValue: 1000, description: 'Where to stop (1 to 100000).' })
    cap: number,
  ): Promise<CappedCount> {
    const counted = await this.totalCount(CountMode.CAPPED, cap);
    return { count: Math.min(counted, cap), capped: counted > cap };
  }

  @Field(() => ProductFacets, { description: "Counts over the whole list, for a shop's filters." })
  facets(): ProductFacets {
    return new ProductFacets(this.em, this.query.where);
  }

  static from(
    em: EntityManager,
    loaders: Loaders,
    query: ProductPageQuery,
    page: ConnectionData<ProductView>,
  ): ProductSearchConnection {
    return Object.assign(new ProductSearchConnection(), {
      edges: page.edges.map((edge) => new ProductSearchEdge(edge, loaders, query.search)),
      pageInfo: page.pageInfo,
      em,
      query,
    });
  }
}
