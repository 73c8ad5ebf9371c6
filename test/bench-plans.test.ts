import { describe, expect, it } from '@jest/globals';
import { planProblems, planShape, type PlanNode } from '../bench/plans';

/** Plans as EXPLAIN (FORMAT JSON) writes them, reduced to the fields the check reads. */
const scan = (table: string, index?: string): PlanNode =>
  index
    ? { 'Node Type': 'Index Scan', 'Relation Name': table, 'Index Name': index }
    : { 'Node Type': 'Seq Scan', 'Relation Name': table };
const node = (type: string, ...plans: PlanNode[]): PlanNode => ({
  'Node Type': type,
  Plans: plans,
});

describe("the bench's check of the baseline's plans", () => {
  it('refuses a seq scan of product or review', () => {
    expect(planProblems(node('Limit', scan('product')))).toEqual(['Seq Scan on product']);
    expect(planProblems(node('Aggregate', node('Limit', scan('review'))))).toEqual([
      'Seq Scan on review',
    ]);
  });

  it("refuses a sort of a whole table's rows, through a join", () => {
    const plan = node(
      'Limit',
      node('Sort', node('Nested Loop', scan('product', 'product_pkey'), scan('category'))),
    );
    expect(planProblems(plan)).toEqual([
      'Sort of Sort [Nested Loop [Index Scan product (product_pkey), Seq Scan category]]',
    ]);
    expect(planProblems(node('Incremental Sort', scan('review', 'review_pkey')))).toHaveLength(1);
  });

  it('accepts pages read off an index, a sort of a page already cut, and small tables', () => {
    const plan = node(
      'Aggregate',
      node('Sort', scan('category')),
      node('Sort', node('Limit', scan('product', 'product_category_id_created_at_id_index'))),
    );
    expect(planProblems(plan)).toEqual([]);
    expect(planShape(plan)).toBe(
      'Aggregate [Sort [Seq Scan category], Sort [Limit [Index Scan product (product_category_id_created_at_id_index)]]]',
    );
  });
});
