import { Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { PageInfo, type PageEdge } from './pagination';

export interface ConnectionData<TNode> {
  edges: PageEdge<TNode>[];
  pageInfo: PageInfo;
  /** Called only when a client selects `totalCount`: counting is a statement of its own. */
  countTotal: () => number | Promise<number>;
}

/**
 * A Relay connection type for `nodeType`: `{ edges { cursor node } pageInfo totalCount }`, whose
 * nodes are served as `TNode` (the type's read view). Subclass it with `@ObjectType()` to give the
 * connection its name.
 */
export function ConnectionType<TNode extends object>(nodeType: ClassType<object>) {
  const nodeName = nodeType.name;

  @ObjectType(`${nodeName}Edge`, {
    description: `One ${nodeName} in a page, with its cursor.`,
    simpleResolvers: true,
  })
  class Edge {
    @Field({ description: 'Pass as `after` (or `before`) to continue from this edge.' })
    cursor!: string;

    @Field(() => nodeType, { description: `The ${nodeName}.` })
    node!: TNode;
  }

  // Never emitted itself (nothing returns it); its fields are inherited by the named subclass.
  @ObjectType(`${nodeName}ConnectionBase`, { simpleResolvers: true })
  abstract class Connection {
    @Field(() => [Edge], { description: 'The rows of this page, in order.' })
    edges!: Edge[];

    @Field(() => PageInfo, { description: 'Where this page sits in the whole list.' })
    pageInfo!: PageInfo;

    private countTotal!: () => number | Promise<number>;

    @Field(() => Int, { description: 'How many rows the whole list has (all pages).' })
    totalCount(): number | Promise<number> {
      return this.countTotal();
    }

    static from<T extends Connection>(this: new () => T, data: ConnectionData<TNode>): T {
      return Object.assign(new this(), data);
    }
  }

  return Connection;
}
