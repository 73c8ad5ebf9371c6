import { raw, type ObjectQuery } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../shared/errors';
import type { Product } from './product.entity';

/** Longer searches are refused: nobody types more, and tsquery work grows with the text. */
export const MAX_SEARCH_LENGTH = 200;
/**
 * Word similarity a name needs to be a fuzzy candidate (pg_trgm's default is 0.6). Each edit
 * breaks up to three of a word's trigrams: at 0.25, one edit in 3 letters and two in 7 still
 * pass; only two edits spread over a 6-letter word can fall below it.
 */
export const FUZZY_CANDIDATE_THRESHOLD = 0.25;
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

/** The edits a word may have under fuzziness AUTO, from its length. */
const ALLOWED_EDITS = `case when length(q.word) <= 2 then 0 when length(q.word) <= 5 then 1 else 2 end`;

/**
 * The fuzzy branch. The trigram index finds candidates (`<%`: word similarity of each search word
 * to the name, threshold `pg_trgm.word_similarity_threshold`, set per connection in
 * src/db/orm-options.ts); levenshtein_less_equal then checks each search word against each word
 * of the name, stopping early once past the allowed edits.
 */
function fuzzySql(search: ProductSearch, alias: string): [string, unknown[]] {
  const candidates = search.fuzzyWords.map(() => `? <% ${alias}.name`);
  const params: unknown[] = [...search.fuzzyWords];
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
