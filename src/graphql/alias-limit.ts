import { GraphQLError, Kind, type ValidationRule } from 'graphql';
import { expandedCounter } from './expanded-count';

/**
 * Refuses an operation with more than `maximum` aliased fields in what it would answer: counted
 * after expanding its fragments (a fragment of 15 aliases spread twice is 30) and `__typename`
 * included (200 `t: __typename` are 200 response keys). graphql-armor's maxAliases counts a
 * fragment's aliases once however often it is spread and leaves `__typename` out, so both hid
 * aliases from it; this rule replaces it. Every aliased field counts, `@skip`/`@include` or not:
 * validation runs before the variables are known. A fragment is counted once per document (its
 * count does not depend on where it is spread), so the count is linear in the document.
 */
export function aliasLimit(maximum: number): ValidationRule {
  return (context) => {
    const count = expandedCounter(
      (name) => context.getFragment(name),
      (selection) => (selection.kind === Kind.FIELD && selection.alias ? 1 : 0),
    );
    return {
      OperationDefinition(operation) {
        const aliases = count(operation.selectionSet);
        if (aliases <= maximum) return;
        const name = operation.name ? ` "${operation.name.value}"` : '';
        context.reportError(
          new GraphQLError(
            `Too many aliases: the operation${name} has ${aliases} aliased fields once its fragments are expanded, limit ${maximum}.`,
            { nodes: operation },
          ),
        );
      },
    };
  };
}
