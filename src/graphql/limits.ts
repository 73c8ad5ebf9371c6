import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { Config } from '../config';
import { aliasLimit } from './alias-limit';

type LimitConfig = Pick<
  Config,
  | 'NODE_ENV'
  | 'GRAPHQL_MAX_DEPTH'
  | 'GRAPHQL_MAX_ALIASES'
  | 'GRAPHQL_MAX_TOKENS'
  | 'GRAPHQL_MAX_DIRECTIVES'
>;

/**
 * Bounds on hostile or careless documents: depth and directives by graphql-armor, aliases by
 * alias-limit.ts (armor's count misses fragments spread again and `__typename`), tokens by
 * graphql-js while parsing (a huge document is dropped early), cost by query-cost.ts.
 * A breach is a GraphQL error before anything executes. Batched HTTP requests stay off
 * (Apollo's default); page sizes are bounded by the resolvers (≤ 100).
 */
export function queryLimits(config: LimitConfig) {
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH, ignoreIntrospection: true, flattenFragments: true },
    maxAliases: { enabled: false },
    maxDirectives: { n: config.GRAPHQL_MAX_DIRECTIVES },
    // graphql-js counts tokens itself (Apollo's parseOptions) and keeps GRAPHQL_PARSE_FAILED;
    // cost is priced by page sizes (query-cost.ts), which armor's depth-based model ignores.
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    // "Did you mean …" helps developers and maps the schema for attackers when it is hidden.
    blockFieldSuggestion: { enabled: config.NODE_ENV === 'production' },
  }).protect();
  return {
    plugins,
    validationRules: [...validationRules, aliasLimit(config.GRAPHQL_MAX_ALIASES)],
    parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
  };
}
