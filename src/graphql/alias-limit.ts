import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

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
    const counts = new Map<string, number>();
    const count = (selectionSet: SelectionSetNode): number => {
      let aliases = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.alias) aliases += 1;
          if (selection.selectionSet) aliases += count(selection.selectionSet);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          aliases += count(selection.selectionSet);
        } else {
          aliases += fragmentCount(context.getFragment(selection.name.value));
        }
      }
      return aliases;
    };
    const fragmentCount = (fragment: FragmentDefinitionNode | null | undefined): number => {
      if (!fragment) return 0; // unknown: refused by graphql-js's own rules
      const name = fragment.name.value;
      const known = counts.get(name);
      if (known !== undefined) return known;
      counts.set(name, 0); // a cycle counts nothing more (NoFragmentCyclesRule refuses it)
      const aliases = count(fragment.selectionSet);
      counts.set(name, aliases);
      return aliases;
    };
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
