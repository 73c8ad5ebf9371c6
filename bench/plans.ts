import pg from 'pg';
import { BASELINE_STATEMENTS, type BaselineStatement } from './baseline-statements';

/**
 * The baseline's plans, checked before timing: a baseline PostgreSQL has to sort or scan whole
 * tables for is not the limit, and would make any server look close to it. Each statement is
 * EXPLAINed over the loaded catalog twice: with its sample values (the custom plan of its first
 * executions) and as pg's prepared statement runs it later (the generic plan).
 */

/** A node of EXPLAIN (FORMAT JSON)'s tree, the fields read here. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Scan Direction'?: string;
  Plans?: PlanNode[];
}

/** The big tables: reading one whole, or sorting its rows, is what a served order avoids. */
const WATCHED = new Set(['product', 'review']);

const isScanOf = (node: PlanNode) =>
  node['Relation Name'] !== undefined && WATCHED.has(node['Relation Name']);

/** Whether rows of a watched table reach this node without a Limit (a bounded page) between. */
function readsWatchedUnbounded(node: PlanNode): boolean {
  if (isScanOf(node)) return true;
  if (node['Node Type'] === 'Limit') return false;
  return (node.Plans ?? []).some(readsWatchedUnbounded);
}

/** What is wrong with a plan: a Seq Scan of product or review, or a Sort over their rows. */
export function planProblems(node: PlanNode): string[] {
  const own =
    node['Node Type'] === 'Seq Scan' && isScanOf(node)
      ? [`Seq Scan on ${node['Relation Name']}`]
      : /Sort$/.test(node['Node Type']) && (node.Plans ?? []).some(readsWatchedUnbounded)
        ? [`${node['Node Type']} of ${describe(node)}`]
        : [];
  return [...own, ...(node.Plans ?? []).flatMap(planProblems)];
}

function describe(node: PlanNode): string {
  const relation = node['Relation Name'] ? ` ${node['Relation Name']}` : '';
  const index = node['Index Name'] ? ` (${node['Index Name']})` : '';
  const backward = node['Scan Direction'] === 'Backward' ? ' backward' : '';
  const own = `${node['Node Type']}${relation}${index}${backward}`;
  const children = (node.Plans ?? []).map(describe);
  return children.length ? `${own} [${children.join(', ')}]` : own;
}

/** One line per plan: the node types, each scan's table and index, in tree order. */
export const planShape = (node: PlanNode): string => describe(node);

const literal = (client: pg.Client) => (value: unknown) =>
  typeof value === 'number' ? String(value) : client.escapeLiteral(String(value));

async function explain(client: pg.Client, statement: BaselineStatement) {
  const custom = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `explain (format json) ${statement.text}`,
    statement.sample,
  );
  // The generic plan: what a prepared statement settles on after its fifth execution.
  await client.query('begin');
  try {
    await client.query('set local plan_cache_mode = force_generic_plan');
    await client.query(`prepare plan_${statement.name} as ${statement.text}`);
    const generic = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      `explain (format json) execute plan_${statement.name}(${statement.sample.map(literal(client)).join(', ')})`,
    ); // EXECUTE takes no bound parameters: the sample values, written as literals
    return {
      custom: custom.rows[0]!['QUERY PLAN'][0].Plan,
      generic: generic.rows[0]!['QUERY PLAN'][0].Plan,
    };
  } finally {
    await client.query('rollback');
    await client.query(`deallocate plan_${statement.name}`); // PREPARE outlives a rollback
  }
}

/**
 * EXPLAINs every baseline statement; throws, naming the statement and the node, when a plan sorts
 * or seq-scans product or review. Returns one line per statement for the results.
 */
export async function checkBaselinePlans(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const lines: string[] = [];
    const problems: string[] = [];
    for (const statement of BASELINE_STATEMENTS) {
      const { custom, generic } = await explain(client, statement);
      for (const [kind, plan] of [
        ['custom', custom],
        ['generic', generic],
      ] as const) {
        problems.push(...planProblems(plan).map((p) => `${statement.name} (${kind} plan): ${p}`));
      }
      const [a, b] = [planShape(custom), planShape(generic)];
      lines.push(`${statement.name}: ${a}${a === b ? '' : ` — generic: ${b}`}`);
    }
    if (problems.length) {
      throw new Error(
        `the baseline's plans sort or scan whole tables, so it is not the limit:\n  ${problems.join('\n  ')}\n${lines.join('\n')}`,
      );
    }
    return lines;
  } finally {
    await client.end();
  }
}
