import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

type SelectionInfo = Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>;

/**
 * A test of whether a field's result has `name` selected (directly, or through fragments,
 * conditional ones included: an answer that might be asked is read). Kept per `fieldNodes`, which
 * a compiled query shares across requests and graphql-js across a request's rows.
 */
export function selectionTest(name: string): (info: SelectionInfo) => boolean {
  const known = new WeakMap<readonly FieldNode[], boolean>();
  return (info) => {
    let selected = known.get(info.fieldNodes);
    if (selected === undefined) {
      selected = info.fieldNodes.some(
        (node) => node.selectionSet !== undefined && selects(node.selectionSet, name, info, []),
      );
      known.set(info.fieldNodes, selected);
    }
    return selected;
  };
}

/** Whether a connection's `pageInfo` is asked: only it needs the row read after the page. */
export const selectsPageInfo = selectionTest('pageInfo');

function selects(
  set: SelectionSetNode,
  name: string,
  info: SelectionInfo,
  spread: readonly string[],
): boolean {
  return set.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value === name;
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      return selects(selection.selectionSet, name, info, spread);
    }
    const fragment = info.fragments[selection.name.value];
    // Validation refuses both; an unknown fragment counts as selecting (read rather than miss).
    if (!fragment) return true;
    if (spread.includes(fragment.name.value)) return false;
    return selects(fragment.selectionSet, name, info, [...spread, fragment.name.value]);
  });
}
