import { describe, expect, it } from '@jest/globals';
import { Kind, parse, type SelectionSetNode } from 'graphql';
import { comparable, PEERS } from '../bench/peers/peers';
import { graphqlBody, WORKLOADS } from '../bench/workloads';

/**
 * The bench's peers must ask for what our workloads ask (bench/peers/peers.ts): the answers'
 * shapes, page sizes included, and the comparison that checks their data before timing.
 */

type Shape = { [key: string]: Shape | true };

/** Each response key (alias or name, with its `first:`), and what it selects. */
function shape(set: SelectionSetNode | undefined): Shape | true {
  if (!set) return true;
  return Object.fromEntries(
    set.selections.map((selection) => {
      if (selection.kind !== Kind.FIELD) throw new Error('fields only');
      const first = selection.arguments?.find((a) => a.name.value === 'first')?.value;
      const key = (selection.alias ?? selection.name).value;
      const page = first?.kind === Kind.INT ? `(first: ${first.value})` : '';
      return [`${key}${page}`, shape(selection.selectionSet)];
    }),
  );
}

const documentShape = (query: string) => {
  const [operation] = parse(query).definitions;
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('one operation');
  return shape(operation.selectionSet);
};

describe.each(PEERS.map((peer) => [peer.name, peer] as const))('bench peer %s', (_, peer) => {
  it.each(WORKLOADS.filter((w) => peer.documents[w.name]).map((w) => [w.name, w] as const))(
    '%s selects the same fields and page sizes as our workload',
    (_name, workload) => {
      const document = peer.documents[workload.name]!;
      const variables = workload.variables(1);
      const ours = documentShape(graphqlBody(workload, variables).query);
      // the answer's mapping applies to the shape as to the data: W3's `nodes` unwrapped
      const theirs = document.toOurs({ data: documentShape(document.body(variables).query) });
      expect(theirs).toEqual({ data: ours });
    },
  );

  it('has a document for every read workload', () => {
    expect(Object.keys(peer.documents).sort()).toEqual(['W1', 'W1L', 'W2', 'W3']);
  });
});

describe('comparable', () => {
  it('reads numeric ids as ours and any cursor as present', () => {
    expect(
      comparable({ id: 12, page: { endCursor: 'WyJuYXR1cmFsIiwxXQ==', hasNextPage: true } }),
    ).toEqual(comparable({ id: '12', page: { endCursor: 'v1:abc', hasNextPage: true } }));
    expect(comparable({ endCursor: null })).not.toEqual(comparable({ endCursor: 'x' }));
  });

  it('leaves every other value as it is, so a wrong count, price or order still differs', () => {
    expect(comparable({ reviewCount: 5 })).not.toEqual(comparable({ reviewCount: '5' }));
    expect(comparable({ price: '1.50' })).not.toEqual(comparable({ price: 1.5 }));
    expect(comparable([{ id: 1 }, { id: 2 }])).not.toEqual(comparable([{ id: 2 }, { id: 1 }]));
  });
});
