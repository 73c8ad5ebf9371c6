import { raw, type EntityManager, type ObjectQuery } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../shared/errors';
import { Product } from './product.entity';

/** Longer searches are refused: nobody types more, and tsquery work grows with the text. */
export const MAX_SEARCH_LENGTH = 200;

/**
 * A resolved search. `text`: PostgreSQL full-text search with websearch syntax ("quoted
 * phrases", -exclusion, or) over name, description and category name. `fuzzy`: the fallback
 * when the text search finds nothing in the filtered list — pg_trgm word similarity of the
 * search to the name, so "hedphones" still finds headphones.
 */
export interface ProductSearch {
  text: string;
  mode: 'text' | 'fuzzy';
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

/** The search as a condition on products (bind parameters only: no input reaches the SQL text). */
export function searchCondition(search: ProductSearch): ObjectQuery<Product> {
  return search.mode === 'text'
    ? {
        [raw((a) => `${a}.search_vector @@ websearch_to_tsquery('english', ?)`, [search.text])]:
          true,
      }
    : { [raw((a) => `? <% ${a}.name`, [search.text])]: true };
}

/** SQL for how well a row matches (higher is better), for RELEVANCE order; `a` is the alias. */
export function relevanceSql(search: ProductSearch, alias: string): [string, unknown[]] {
  return search.mode === 'text'
    ? [`ts_rank_cd(${alias}.search_vector, websearch_to_tsquery('english', ?))`, [search.text]]
    : [`word_similarity(?, ${alias}.name)`, [search.text]];
}

/**
 * Decides text or fuzzy: fuzzy only when the text search matches nothing within `where` (one
 * cheap EXISTS through the GIN index). Null when there is no search.
 */
export async function resolveSearch(
  em: EntityManager,
  search: string | null | undefined,
  where: ObjectQuery<Product>,
): Promise<ProductSearch | null> {
  const text = normalizeSearch(search);
  if (text === null) return null;
  const textSearch: ProductSearch = { text, mode: 'text' };
  const hit = await em.findOne(
    Product,
    { $and: [where, searchCondition(textSearch)] },
    { fields: ['id'], disableIdentityMap: true },
  );
  return hit ? textSearch : { text, mode: 'fuzzy' };
}
