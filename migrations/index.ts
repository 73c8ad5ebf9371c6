import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125130501_initial_catalog } from './Migration20261125130501_initial_catalog';
import { Migration20261125131529_review_author_id } from './Migration20261125131529_review_author_id';
import { Migration20261125141800_product_search } from './Migration20261125141800_product_search';
import { Migration20261125150000_review_rollup_lock } from './Migration20261125150000_review_rollup_lock';
import { Migration20261204101500_fuzzy_search } from './Migration20261204101500_fuzzy_search';
import { Migration20261204120000_product_name_words } from './Migration20261204120000_product_name_words';
import { Migration20261204150000_product_category_order } from './Migration20261204150000_product_category_order';
import { Migration20261204160000_product_category_orders } from './Migration20261204160000_product_category_orders';

/**
 * Every migration, in order. Listed rather than globbed so that the same list works from
 * TypeScript (tests, scripts) and from the compiled build. `test/schema-drift.int.test.ts`
 * fails when a file in this folder is missing here.
 */
export const migrationsList: MigrationObject[] = [
  {
    name: 'Migration20261125130501_initial_catalog',
    class: Migration20261125130501_initial_catalog,
  },
  {
    name: 'Migration20261125131529_review_author_id',
    class: Migration20261125131529_review_author_id,
  },
  {
    name: 'Migration20261125141800_product_search',
    class: Migration20261125141800_product_search,
  },
  {
    name: 'Migration20261125150000_review_rollup_lock',
    class: Migration20261125150000_review_rollup_lock,
  },
  {
    name: 'Migration20261204101500_fuzzy_search',
    class: Migration20261204101500_fuzzy_search,
  },
  {
    name: 'Migration20261204120000_product_name_words',
    class: Migration20261204120000_product_name_words,
  },
  {
    name: 'Migration20261204150000_product_category_order',
    class: Migration20261204150000_product_category_order,
  },
  {
    name: 'Migration20261204160000_product_category_orders',
    class: Migration20261204160000_product_category_orders,
  },
];
