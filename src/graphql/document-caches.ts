import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { Kind, visit, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { expandedCounter } from './expanded-count';

/**
 * What the server keeps of the documents clients send, bounded in bytes of heap. Each entry is
 * sized by what it was measured to cost (docs/performance.md#document-caches: heap after a
 * full GC, per distinct document, over W1–W3 and alias- and fragment-heavy shapes), rounded up: a source text is kept once per entry, an AST node costs
 * ~300 bytes, a compiled query ~1–3 KB per field it runs (after fragments are spread; literal
 * values are compiled into its code). document-caches.test.ts holds the estimates above the
 * measures.
 */
const MB = 1024 * 1024;
/** Bytes per character of a kept source text (V8 keeps non-Latin-1 text at two). */
const SOURCE_BYTES_PER_CHAR = 2;
const DOCUMENT_FIXED_BYTES = 4 * 1024;
const AST_NODE_BYTES = 500;
const COMPILED_FIXED_BYTES = 8 * 1024;
const COMPILED_FIELD_BYTES = 4 * 1024;
const TEXT_ENTRY_FIXED_BYTES = 2 * 1024;

/** A parsed document's heap: its source text (the AST's `loc` keeps it) and its nodes. */
export function documentBytes(document: DocumentNode): number {
  let nodes = 0;
  visit(document, {
    enter() {
      nodes += 1;
    },
  });
  return (
    DOCUMENT_FIXED_BYTES + SOURCE_BYTES_PER_CHAR * sourceLength(document) + AST_NODE_BYTES * nodes
  );
}

/** A compiled query's heap: graphql-jit generates code for every field it will run. */
export function compiledBytes(document: DocumentNode): number {
  return (
    COMPILED_FIXED_BYTES +
    COMPILED_FIELD_BYTES * expandedSelections(document) +
    SOURCE_BYTES_PER_CHAR * sourceLength(document)
  );
}

/**
 * A text's normalized form (literal-hoisting.ts), until its compiled query is linked: its key,
 * the form's key, its literals' values (bounded by the text they came from) and its fields'
 * locations. A linked text keeps Apollo's document too, booked at documentBytes.
 */
export function textEntryBytes(
  key: string,
  form: string,
  literals: Record<string, unknown> | undefined,
  fieldLocations: number,
): number {
  // Their JSON at two bytes a character, doubled for the objects and numbers holding them, and
  // a property each (an object of many turns into a dictionary).
  const values = literals
    ? 2 * SOURCE_BYTES_PER_CHAR * JSON.stringify(literals).length +
      64 * Object.keys(literals).length
    : 0;
  return (
    TEXT_ENTRY_FIXED_BYTES +
    SOURCE_BYTES_PER_CHAR * (key.length + form.length) +
    values +
    16 * fieldLocations
  );
}

/**
 * A cache Apollo can use (its KeyValueCache), least recently used out first, bounded by the
 * bytes its entries were sized at. Apollo's InMemoryLRUCache is the same over lru-cache, but
 * hides its size, which /metrics shows (graphql_cache_bytes).
 */
export class ByteBoundedCache<V extends object | string> implements KeyValueCache<V> {
  private readonly cache: LRUCache<string, V>;

  constructor(maxBytes: number, sizeOf: (value: V, key: string) => number) {
    // An entry larger than the whole budget is not kept (lru-cache refuses it).
    this.cache = new LRUCache({ maxSize: maxBytes, sizeCalculation: sizeOf });
  }

  /** Bytes taken, as the entries were sized. */
  get bytes(): number {
    return this.cache.calculatedSize;
  }

  get(key: string): Promise<V | undefined> {
    return Promise.resolve(this.cache.get(key));
  }

  set(key: string, value: V): Promise<void> {
    this.cache.set(key, value);
    return Promise.resolve();
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.cache.delete(key));
  }
}

/**
 * Apollo's parsed and validated documents, by the SHA-256 of their text (Apollo's own key).
 * Apollo's default store sizes an entry by its JSON, which leaves out the source text the AST
 * keeps: a document padded with comments cost 200 KB and counted as a few hundred bytes.
 */
export function createDocumentStore(megabytes: number): ByteBoundedCache<DocumentNode> {
  return new ByteBoundedCache<DocumentNode>(
    megabytes * MB,
    (document, key) => SOURCE_BYTES_PER_CHAR * key.length + documentBytes(document),
  );
}

/** Automatic persisted queries' texts, by their hash (Apollo's key). */
export function createPersistedQueryCache(megabytes: number): ByteBoundedCache<string> {
  return new ByteBoundedCache<string>(
    megabytes * MB,
    (text, key) => SOURCE_BYTES_PER_CHAR * (text.length + key.length) + 64,
  );
}

function sourceLength(document: DocumentNode): number {
  return document.loc?.source.body.length ?? 0;
}

/** Fields and inline fragments the document runs with its fragments spread. */
function expandedSelections(document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }
  const count = expandedCounter(
    (name) => fragments.get(name),
    () => 1,
  );
  let total = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) total += count(definition.selectionSet);
  }
  return total;
}
