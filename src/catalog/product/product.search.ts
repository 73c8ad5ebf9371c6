import { raw, type ObjectQuery } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../shared/errors';
import type { Product } from './product.entity';

/** Longer searches are refused: nobody types more, and tsquery work grows with the text. */
export const MAX_SEARCH_LENGTH = 200;
/** Words of a search matched with typos; the fuzzy branch ignores any beyond (text does not). */
export const MAX_FUZZY_WORDS = 8;

/**
 * A resolved search, matched in one statement by either of two branches:
 * - text: PostgreSQL full-text search with websearch syntax ("quoted phrases", -exclusion, or)
 *   over name, description and category name;
 * - fuzzy: every word of the search is within Elasticsearch's `fuzziness: AUTO` of a word of
 *   the name (0 edits for 1–2 letters, 1 for 3–5, 2 for longer), and no excluded word matches.
 * Text matches rank above fuzzy ones in RELEVANCE order.
 */
export interface ProductSearch {
  text: string;
  /** Lower-case words matched with typos (none: the text branch alone). */
  fuzzyWords: string[];
  /** The -excluded words, as websearch text ("stand or case"); null without any. */
  excluded: string | null;
}

/** Trims a search argument: empty or blank means no search; too long is BAD_USER_INPUT. */
export function normalizeSearch(search: string | null | undefined): string | null {
  const text = search?.trim() ?? '';
  if (!text) return null;
  if (text.length > MAX_SEARCH_LENGTH) {
    throw BadUserInputError.field(
      'search',
      'maxLength',
      `must be at most ${MAX_SEARCH_LENGTH} characters`,
    );
  }
  return text;
}

/** The search argument as a ProductSearch; null when there is no search. No SQL runs. */
export function resolveSearch(search: string | null | undefined): ProductSearch | null {
  const text = normalizeSearch(search);
  if (text === null) return null;
  const words = new Set<string>();
  const excluded = new Set<string>();
  for (const token of text.toLowerCase().split(/\s+/)) {
    // Websearch syntax: "-word" excludes, "or" joins; quotes only group (fuzzy ignores order).
    const target = token.startsWith('-') ? excluded : words;
    for (const word of token.split(/[^\p{L}\p{N}]+/u)) if (word && word !== 'or') target.add(word);
  }
  return {
    text,
    fuzzyWords: [...words].slice(0, MAX_FUZZY_WORDS),
    excluded: excluded.size ? [...excluded].join(' or ') : null,
  };
}

const TEXT_MATCH = (alias: string) =>
  `${alias}.search_vector @@ websearch_to_tsquery('english', ?)`;

/** The edits a word may have under fuzziness AUTO, from its length (in SQL, for `q.word`). */
const ALLOWED_EDITS = `case when length(q.word) <= 2 then 0 when length(q.word) <= 5 then 1 else 2 end`;

/** The same in JavaScript, for a search word (its length in characters, as PostgreSQL counts). */
function allowedEdits(word: string): number {
  const length = [...word].length;
  return length <= 2 ? 0 : length <= 5 ? 1 : 2;
}

/**
 * A search word's candidates: products whose search vector holds a name word within the allowed
 * edits of it, found in the term dictionary (product_name_word, see its migration) and looked up
 * through the search vector's GIN index. An uncorrelated subquery: PostgreSQL runs it once per
 * statement. The edits are a number computed here, never client text.
 */
function candidatesSql(alias: string, edits: number): string {
  return `${alias}.search_vector @@ (
    select to_tsquery('english', string_agg(d.word, ' | ')) from product_name_word d
    where length(d.word) between length(?::text) - ${edits} and length(?::text) + ${edits}
      and levenshtein_less_equal(?::text, d.word, ${edits}) <= ${edits})`;
}

/**
 * The fuzzy branch: every search word has a candidate word in the name within its edits. The
 * dictionary and the search vector find candidates (the vector also holds the description and
 * category name, and stems words); levenshtein_less_equal then checks each search word against
 * each word of the name itself, stopping early once past the allowed edits.
 */
function fuzzySql(search: ProductSearch, alias: string): [string, unknown[]] {
  const candidates = search.fuzzyWords.map((word) => candidatesSql(alias, allowedEdits(word)));
  const params: unknown[] = search.fuzzyWords.flatMap((word) => [word, word, word]);
  let sql = `(${candidates.join(' and ')} and not exists (
    select 1 from unnest(string_to_array(?, ' ')) as q(word)
    where not exists (
      select 1 from regexp_split_to_table(lower(${alias}.name), '[^[:alnum:]]+') as n(word)
      where levenshtein_less_equal(q.word, n.word, ${ALLOWED_EDITS}) <= ${ALLOWED_EDITS})))`;
  params.push(search.fuzzyWords.join(' '));
  if (search.excluded !== null) {
    sql = `(${sql} and not ${TEXT_MATCH(alias)})`;
    params.push(search.excluded);
  }
  return [sql, params];
}

/** The search as SQL on a product row (`alias`): text match or fuzzy match. */
function matchSql(search: ProductSearch, alias: string): [string, unknown[]] {
  if (!search.fuzzyWords.length) return [TEXT_MATCH(alias), [search.text]];
  const [fuzzy, params] = fuzzySql(search, alias);
  return [`(${TEXT_MATCH(alias)} or ${fuzzy})`, [search.text, ...params]];
}

/** The search as a condition on products (bind parameters only: no input reaches the SQL text). */
export function searchCondition(search: ProductSearch): ObjectQuery<Product> {
  const [, params] = matchSql(search, 'x');
  return { [raw((a) => matchSql(search, a)[0], params)]: true };
}

/**
 * SQL for how well a row matches (higher is better), for RELEVANCE order; `a` is the alias.
 * Text matches score 1 and up (1 + ts_rank_cd), fuzzy ones below 1 (half their word
 * similarity), so every exact match ranks above every near spelling.
 */
export function relevanceSql(search: ProductSearch, alias: string): [string, unknown[]] {
  return [
    `(case when ${TEXT_MATCH(alias)}
      then 1 + ts_rank_cd(${alias}.search_vector, websearch_to_tsquery('english', ?))::float8
      else 0.5 * word_similarity(?, ${alias}.name)::float8 end)`,
    [search.text, search.text, search.text],
  ];
}
