import {
  MetadataStorage,
  ReferenceKind,
  UnderscoreNamingStrategy,
  type EntityMetadata,
  type EntityProperty,
  type Reference,
} from '@mikro-orm/postgresql';
import { epochMillis } from '../shared/timestamp';

/**
 * The read side of an entity, derived from its MikroORM decorators: the columns to select, the
 * row they return and the view resolvers serve. A view is a plain snapshot of a row, not a managed
 * entity: reads change nothing, so they skip the unit of work's bookkeeping
 * (docs/performance.md#views-not-entities). It has the entity's property names, so the entity's
 * `@ObjectType` reads it; a many-to-one becomes its id (`category` → `categoryId`), and
 * timestamps are selected as epoch milliseconds (epochMillis) and become Dates.
 */

/** The keys of E that are many-to-one references. */
type RelationKeys<E> = {
  [K in keyof E]-?: NonNullable<E[K]> extends Reference<object> ? K : never;
}[keyof E];

/** The view of E: every property but `Omitted` and the relations, and each relation's id. */
export type ViewOf<E, Omitted extends keyof E = never> = {
  readonly [K in Exclude<keyof E, Omitted | RelationKeys<E> | symbol>]: Exclude<E[K], undefined>;
} & {
  readonly [K in RelationKeys<E> & string as `${K}Id`]: undefined extends E[K]
    ? number | null
    : null extends E[K]
      ? number | null
      : number;
};

/** A row as PostgreSQL returns it for `columns()`: the view before its Dates, without getters. */
export type RowOf<E, Omitted extends keyof E = never, Derived extends keyof E = never> = {
  [K in keyof ViewOf<E, Omitted | Derived>]: ViewOf<E, Omitted | Derived>[K] extends Date
    ? number
    : ViewOf<E, Omitted | Derived>[K];
};

export interface ReadModelOptions<E, Omitted extends keyof E, Derived extends keyof E> {
  /** Columns no reader needs, never selected (the search vector, say). */
  omit?: readonly Omitted[];
  /** The entity's getters the view keeps (they may read only its selected properties). */
  derived?: readonly Derived[];
}

/** The columns `joined(P)` adds to a row: the joined row's keys but its id, as `<P><Key>`. */
export type JoinedRow<P extends string, R> = {
  [K in Exclude<keyof R, 'id'> & string as `${P}${Capitalize<K>}`]: R[K] | null;
};

export interface JoinedReadModel<P extends string, R, V> {
  /** The joined row's columns, read through the join (its alias is the prefix). */
  columns: string;
  /** The LEFT JOIN, given the other row's foreign key column (`p.category_id`). */
  join: (foreignKey: string) => string;
  read: (row: JoinedRow<P, R> & { [K in `${P}Id`]: number | null }) => V | null;
}

/** A property as its decorator left it: `fieldName` becomes `fieldNames` only at discovery. */
type DecoratedProperty<E> = EntityProperty<E> & { fieldName?: string };

interface ReadProperty {
  /** The view's (and the row's) key. */
  key: string;
  column: string;
  isDate: boolean;
  nullable: boolean;
  primary: boolean;
  /** The entity's property, when it differs from `key` (a relation: `category` for categoryId). */
  relation?: string;
}

// The engine's naming strategy (orm-options sets none); read-model.int.test.ts checks these names
// against the metadata MikroORM discovers.
const naming = new UnderscoreNamingStrategy();
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

export class ReadModel<
  E extends object,
  Omitted extends keyof E = never,
  Derived extends keyof E = never,
> {
  readonly table: string;
  readonly properties: readonly ReadProperty[];
  /** Builds a view from a row: generated once, so each row costs one plain constructor call. */
  readonly View: new (row: RowOf<E, Omitted, Derived>) => ViewOf<E, Omitted>;
  private readonly columnsByAlias = new Map<string, string>();

  constructor(entity: abstract new () => E, options: ReadModelOptions<E, Omitted, Derived> = {}) {
    // Decorators have run (the entity's module is loaded): their metadata is enough, so the
    // statements can be built at module load, before the ORM discovers anything.
    const meta = MetadataStorage.getMetadataFromDecorator(entity) as unknown as EntityMetadata<E>;
    const omitted = new Set<string>(options.omit as readonly string[] | undefined);
    this.table = meta.tableName ?? naming.classToTableName(entity.name);
    this.properties = (Object.values(meta.properties) as DecoratedProperty<E>[])
      .filter((prop) => !omitted.has(prop.name))
      .map((prop): ReadProperty => {
        if (prop.kind === ReferenceKind.MANY_TO_ONE) {
          const column = prop.fieldName ?? naming.joinColumnName(prop.name);
          return {
            key: `${prop.name}Id`,
            column,
            isDate: false,
            nullable: prop.nullable === true,
            primary: false,
            relation: prop.name,
          };
        }
        if (prop.kind !== ReferenceKind.SCALAR || prop.lazy) {
          throw new Error(`${entity.name}.${prop.name}: a read model selects scalars and m:1 ids`);
        }
        const column = prop.fieldName ?? naming.propertyToColumnName(prop.name);
        const isDate = prop.type === 'datetime' || prop.type === 'Date';
        return {
          key: prop.name,
          column,
          isDate,
          nullable: prop.nullable === true,
          primary: prop.primary === true,
        };
      });
    for (const { key } of this.properties) {
      if (!IDENTIFIER.test(key)) throw new Error(`${entity.name}.${key}: not an identifier`);
    }
    this.View = generateView(entity.name, this.properties);
    copyGetters(entity, this.View, (options.derived ?? []) as readonly string[]);
  }

  /** The select list, each column named as the view's key: `p.category_id as "categoryId"`. */
  columns(alias: string): string {
    let columns = this.columnsByAlias.get(alias);
    if (columns === undefined) {
      columns = this.properties.map((p) => selected(`${alias}.${p.column}`, p)).join(', ');
      this.columnsByAlias.set(alias, columns);
    }
    return columns;
  }

  /** The column a view key is read from (`categoryId` → `category_id`). */
  column(key: string): string {
    const property = this.properties.find((p) => p.key === key);
    if (!property) throw new Error(`${this.table}: no read column for ${key}`);
    return property.column;
  }

  /**
   * This entity read beside another's row through the other's foreign key, in one statement (a
   * product and its category): a LEFT JOIN aliased as the prefix, its columns named
   * `<prefix><Key>` (`categorySlug`); the key is the other row's `<prefix>Id`, and `read` makes
   * the view of them, null when that key is null. A join, not a scalar subquery per column: for
   * a page of 51 products PostgreSQL spent twice the CPU on two subqueries per row
   * (docs/performance.md#postgresqls-cpu-per-request).
   */
  joined<P extends string>(
    prefix: P,
  ): JoinedReadModel<P, RowOf<E, Omitted, Derived>, ViewOf<E, Omitted>> {
    const primary = this.properties.find((p) => p.primary);
    if (!primary || !IDENTIFIER.test(prefix))
      throw new Error(`${this.table}: cannot join as ${prefix}`);
    const rest = this.properties.filter((p) => p !== primary);
    const keyOf = (p: ReadProperty) => `${prefix}${p.key[0]!.toUpperCase()}${p.key.slice(1)}`;
    const columns = rest
      .map((p) => `${selected(`${prefix}.${p.column}`, p, false)} as "${keyOf(p)}"`)
      .join(', ');
    const join = (foreignKey: string) =>
      `left join ${this.table} as ${prefix} on ${prefix}.${primary.column} = ${foreignKey}`;
    const fkKey = `${prefix}Id`;
    const fields = [
      `${primary.key}: row.${fkKey}`,
      ...rest.map((p) => `${p.key}: row.${keyOf(p)}`),
    ];
    const read = compile<(row: object) => ViewOf<E, Omitted> | null>(
      `return function read(row) {
        return row.${fkKey} === null ? null : new View({ ${fields.join(', ')} });
      }`,
      this.View,
    );
    return { columns, join, read };
  }

  /** A mutation's result: the view of the entity as it was written (not on any read path). */
  of = (entity: E): ViewOf<E, Omitted> => {
    const source = entity as Record<string, unknown>;
    const row: Record<string, unknown> = {};
    for (const p of this.properties) {
      const value = source[p.relation ?? p.key];
      row[p.key] = p.relation
        ? ((value as { id?: number } | null | undefined)?.id ?? null)
        : p.isDate && value != null
          ? (value as Date).getTime()
          : (value ?? null);
    }
    return new this.View(row as RowOf<E, Omitted, Derived>);
  };
}

function selected(column: string, p: ReadProperty, named = true): string {
  const value = p.isDate ? epochMillis(column) : column;
  const bare = column.slice(column.lastIndexOf('.') + 1);
  return !named || (!p.isDate && bare === p.key) ? value : `${value} as "${p.key}"`;
}

/**
 * A class whose constructor assigns each key in a fixed order, as a hand-written one would: one
 * hidden class for every view and no loop or closure per row (docs/performance.md#views-not-entities).
 */
function generateView<V>(
  name: string,
  properties: readonly ReadProperty[],
): new (row: object) => V {
  const value = (p: ReadProperty) => {
    const date = `new Date(row.${p.key})`;
    if (!p.isDate) return `row.${p.key}`;
    return p.nullable ? `row.${p.key} === null ? null : ${date}` : date;
  };
  const body = properties.map((p) => `this.${p.key} = ${value(p)};`).join('\n');
  return compile(`return class ${name}View { constructor(row) { ${body} } }`);
}

/** Runs generated code that returns a function; `View` is in its scope. Names come from decorators only. */
function compile<T>(code: string, View?: unknown): T {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('View', code) as (View: unknown) => T;
  return factory(View);
}

function copyGetters(entity: abstract new () => object, view: object, names: readonly string[]) {
  const { prototype } = view as { prototype: object };
  for (const name of names) {
    const descriptor = Object.getOwnPropertyDescriptor(entity.prototype, name);
    if (!descriptor?.get) throw new Error(`${entity.name}.${name}: not a getter`);
    Object.defineProperty(prototype, name, descriptor);
  }
}
