import { BSON, EJSON, ObjectId, type Document } from 'bson';

/** MongoDB's limit on one document's BSON size. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;

/** An error a command answers with `{ ok: 0, errmsg, code, codeName }`, as a real server does. */
export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly extra: Document = {},
  ) {
    super(message);
  }
}

/** An index as `listIndexes` reports it. */
export interface IndexSpec {
  readonly v: 2;
  readonly key: Record<string, number>;
  readonly name: string;
  readonly unique?: true;
}

/** A deep copy through BSON, so stored documents never share objects with commands or replies. */
export function copyDocument<T extends Document>(document: T): T {
  return BSON.deserialize(BSON.serialize(document)) as T;
}

function valueAtPath(document: Document, path: string): unknown {
  let current: unknown = document;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return null;
    current = (current as Document)[part];
  }
  return current ?? null;
}

/**
 * The documents and indexes of one collection. Every write goes through
 * {@link Collection.insert}, {@link Collection.replace} or
 * {@link Collection.remove}: the first two enforce the 16 MiB document limit
 * and every unique index before changing anything, and all three keep each
 * unique index's map from key to document, so that a unique check and an
 * equality query on an index's fields cost a lookup, not a scan, as they do
 * on a real server.
 */
export class Collection {
  readonly documents: Document[] = [];
  readonly indexes: IndexSpec[] = [];
  /** Per unique index (by name): its key of each document, as {@link Collection.keyValue} writes it. */
  private readonly entries = new Map<string, Map<string, Document>>();
  /** Unique indexes some document has an array in (multikey): equality may match an element, so lookups scan. */
  private readonly multikey = new Set<string>();

  constructor(readonly namespace: string) {
    this.createIndex({ key: { _id: 1 }, name: '_id_', unique: true });
  }

  /** Adds an index; a unique one is refused if the documents already break it. */
  createIndex(spec: { key: Record<string, number>; name: string; unique?: boolean }): boolean {
    const existing = this.indexes.find((index) => index.name === spec.name);
    if (existing) {
      if (EJSON.stringify(existing.key) === EJSON.stringify(spec.key) && Boolean(existing.unique) === Boolean(spec.unique)) return false;
      throw new CommandError(86, 'IndexKeySpecsConflict', `An existing index has the same name as the requested index: ${spec.name}`);
    }
    const index: IndexSpec = { v: 2, key: spec.key, name: spec.name, ...(spec.unique ? { unique: true as const } : {}) };
    if (index.unique) {
      const entries = new Map<string, Document>();
      for (const document of this.documents) {
        const value = this.keyValue(index, document);
        if (entries.has(value)) throw this.duplicateKeyError(index, document);
        entries.set(value, document);
        this.noteArrays(index, document);
      }
      this.entries.set(index.name, entries);
    }
    this.indexes.push(index);
    return true;
  }

  /**
   * The documents a `filter` can match: through a unique index when the
   * filter gives a string for each of its fields (and no document holds an
   * array there), else every document. The filter still decides.
   */
  candidatesFor(filter: Document): Document[] {
    for (const index of this.indexes) {
      const entries = this.entries.get(index.name);
      const paths = Object.keys(index.key);
      if (!entries || this.multikey.has(index.name) || !paths.every((path) => typeof filter[path] === 'string')) continue;
      const found = entries.get(EJSON.stringify(paths.map((path) => filter[path])));
      return found ? [found] : [];
    }
    return this.documents;
  }

  /** Adds a document (given an `_id` first if it has none). */
  insert(document: Document): Document {
    // `_id` comes first, as MongoDB stores it.
    const stored = copyDocument({ _id: document['_id'] ?? new ObjectId(), ...document });
    this.checkWritable(stored, undefined);
    this.documents.push(stored);
    this.indexKeys(stored, 'add');
    return stored;
  }

  /** Replaces `current` (a stored document) with `next`. */
  replace(current: Document, next: Document): void {
    const position = this.documents.indexOf(current);
    if (position < 0) throw new Error('replace: the document is not in this collection');
    if (EJSON.stringify(current['_id']) !== EJSON.stringify(next['_id'])) {
      throw new CommandError(66, 'ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    const stored = copyDocument(next);
    this.checkWritable(stored, current);
    this.indexKeys(current, 'delete');
    this.documents[position] = stored;
    this.indexKeys(stored, 'add');
  }

  /** Removes a stored document. */
  remove(document: Document): void {
    const position = this.documents.indexOf(document);
    if (position < 0) return;
    this.documents.splice(position, 1);
    this.indexKeys(document, 'delete');
  }

  private indexKeys(document: Document, change: 'add' | 'delete'): void {
    for (const index of this.indexes) {
      const entries = this.entries.get(index.name);
      if (!entries) continue;
      if (change === 'delete') {
        entries.delete(this.keyValue(index, document));
        continue;
      }
      entries.set(this.keyValue(index, document), document);
      this.noteArrays(index, document);
    }
  }

  private noteArrays(index: IndexSpec, document: Document): void {
    if (Object.keys(index.key).some((path) => Array.isArray(valueAtPath(document, path)))) this.multikey.add(index.name);
  }

  private checkWritable(document: Document, replacing: Document | undefined): void {
    const size = BSON.calculateObjectSize(document);
    if (size > MAX_DOCUMENT_BYTES) {
      throw new CommandError(
        10334,
        'BSONObjectTooLarge',
        `BSONObj size: ${size} is invalid. Size must be between 0 and ${MAX_DOCUMENT_BYTES}(16MB)`,
      );
    }
    for (const index of this.indexes) {
      const clash = this.entries.get(index.name)?.get(this.keyValue(index, document));
      if (clash && clash !== replacing) throw this.duplicateKeyError(index, document);
    }
  }

  // Canonical extended JSON of the indexed fields; a missing field indexes as null, as in MongoDB.
  private keyValue(index: IndexSpec, document: Document): string {
    return EJSON.stringify(Object.keys(index.key).map((path) => valueAtPath(document, path)));
  }

  private duplicateKeyError(index: IndexSpec, document: Document): CommandError {
    const keyValue = Object.fromEntries(Object.keys(index.key).map((path) => [path, valueAtPath(document, path)]));
    return new CommandError(
      11000,
      'DuplicateKey',
      `E11000 duplicate key error collection: ${this.namespace} index: ${index.name} dup key: ${EJSON.stringify(keyValue)}`,
      { keyPattern: index.key, keyValue },
    );
  }
}

/** Every database and collection of one server; survives a stop and restart of the server, as a real one's data would. */
export class Storage {
  private readonly collections = new Map<string, Collection>();

  /** The collection `db.name`, created on first write when `create` is set. */
  collection(db: string, name: string, create: true): Collection;
  collection(db: string, name: string, create?: false): Collection | undefined;
  collection(db: string, name: string, create = false): Collection | undefined {
    const namespace = `${db}.${name}`;
    let found = this.collections.get(namespace);
    if (!found && create) {
      found = new Collection(namespace);
      this.collections.set(namespace, found);
    }
    return found;
  }

  /** Drops `db.name`; answers the number of indexes it had, or undefined if it did not exist. */
  drop(db: string, name: string): number | undefined {
    const namespace = `${db}.${name}`;
    const found = this.collections.get(namespace);
    this.collections.delete(namespace);
    return found?.indexes.length;
  }
}
