import {
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type InlineFragmentNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * A sum over the selections a document runs once its fragments are spread, each fragment summed
 * once and its total reused: linear in the document, however often (or deeply) fragments
 * spread. `weigh` gives each field or inline fragment its own weight; a fragment that is unknown,
 * or spreads itself (both refused by graphql-js's own rules), adds nothing.
 */
export function expandedCounter(
  fragmentOf: (name: string) => FragmentDefinitionNode | null | undefined,
  weigh: (selection: FieldNode | InlineFragmentNode) => number,
): (selectionSet: SelectionSetNode) => number {
  const spreads = new Map<string, number>();
  const count = (selectionSet: SelectionSetNode): number => {
    let total = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        let spread = spreads.get(name);
        if (spread === undefined) {
          spreads.set(name, 0); // while it is summed: a cycle adds nothing more
          const fragment = fragmentOf(name);
          spread = fragment ? count(fragment.selectionSet) : 0;
          spreads.set(name, spread);
        }
        total += spread;
      } else {
        total += weigh(selection) + (selection.selectionSet ? count(selection.selectionSet) : 0);
      }
    }
    return total;
  };
  return count;
}
