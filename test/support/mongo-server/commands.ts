import { EJSON, Long, ObjectId, type Document } from 'bson';
import { Aggregator, Query, update as applyOperators } from 'mingo';
import { type Collection, CommandError, MAX_DOCUMENT_BYTES, copyDocument, type Storage } from './collection.js';
import { MAX_MESSAGE_BYTES } from './wire.js';

/**
 * The commands the official driver sends for cachier's operations, with
 * query, update, projection and aggregation semantics delegated to `mingo`.
 * Anything else is answered with CommandNotFound, so a core that starts using
 * a new command fails loudly here instead of passing by accident.
 */

/** What a command handler needs besides the command document. */
export interface CommandContext {
  readonly storage: Storage;
  readonly connectionId: number;
}

type Handler = (command: Document, db: string, context: CommandContext) => Document;

/** Announced wire version 21 = MongoDB 7.0: OP_MSG, sessions, no streaming monitoring (no topologyVersion). */
function hello(_command: Document, _db: string, context: CommandContext): Document {
  return {
    helloOk: true,
    isWritablePrimary: true,
    ismaster: true,
    maxBsonObjectSize: MAX_DOCUMENT_BYTES,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: context.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
  };
}

const namespaceOf = (db: string, name: string): string => `${db}.${name}`;

function collectionName(command: Document, field: string): string {
  const name = command[field];
  if (typeof name !== 'string' || name === '') throw new CommandError(73, 'InvalidNamespace', `${field} needs a collection name`);
  return name;
}

function documentsOf(context: CommandContext, db: string, name: string): Document[] {
  return context.storage.collection(db, name)?.documents ?? [];
}

function matching(collection: Collection | undefined, filter: Document | undefined, sort?: Document): Document[] {
  if (!collection) return [];
  const cursor = new Query(filter ?? {}, {}).find<Document>(collection.candidatesFor(filter ?? {}));
  return sort && Object.keys(sort).length > 0 ? cursor.sort(sort as Record<string, 1 | -1>).all() : cursor.all();
}

function project(document: Document, projection: Document | undefined): Document {
  if (!projection || Object.keys(projection).length === 0) return document;
  return new Query({}, {}).find<Document>([document], projection).all()[0] ?? document;
}

function cursorReply(db: string, name: string, batch: Document[]): Document {
  // Every result fits the first batch, so no cursor stays open (id 0) and the driver never sends getMore.
  return { cursor: { firstBatch: batch, id: Long.ZERO, ns: namespaceOf(db, name) } };
}

function find(command: Document, db: string, context: CommandContext): Document {
  const name = collectionName(command, 'find');
  let found = matching(context.storage.collection(db, name), command['filter'], command['sort']);
  found = found.slice(Number(command['skip'] ?? 0));
  const limit = Math.abs(Number(command['limit'] ?? 0));
  if (limit > 0) found = found.slice(0, limit);
  return cursorReply(
    db,
    name,
    found.map((document) => project(document, command['projection'])),
  );
}

function aggregate(command: Document, db: string, context: CommandContext): Document {
  const name = collectionName(command, 'aggregate');
  const pipeline = command['pipeline'] as Document[];
  return cursorReply(db, name, new Aggregator(pipeline, {}).run(documentsOf(context, db, name)) as Document[]);
}

/** The fields an upsert copies from its filter: top-level equality conditions, as MongoDB does. */
function seedFromFilter(filter: Document): Document {
  const seed: Document = {};
  for (const [field, condition] of Object.entries(filter)) {
    if (field.startsWith('$') || field.includes('.')) continue;
    const isOperatorObject =
      condition !== null && typeof condition === 'object' && Object.keys(condition as object).some((key) => key.startsWith('$'));
    if (!isOperatorObject) seed[field] = condition;
  }
  return seed;
}

/** The document `update` makes of `current` (a copy; nothing stored changes here). */
function updated(current: Document, update: Document | Document[], inserting: boolean, arrayFilters: Document[] | undefined): Document {
  const next = copyDocument(current);
  if (Array.isArray(update)) return (new Aggregator(update, {}).run([next]) as Document[])[0] ?? next;
  const keys = Object.keys(update);
  if (!keys.some((key) => key.startsWith('$'))) return { _id: next['_id'], ...update };
  const { $setOnInsert, ...operators } = update;
  try {
    if (Object.keys(operators).length > 0) applyOperators(next, operators, arrayFilters ?? [], undefined, { cloneMode: 'none' });
    if (inserting && $setOnInsert) applyOperators(next, { $set: $setOnInsert }, [], undefined, { cloneMode: 'none' });
  } catch (error) {
    throw new CommandError(9, 'FailedToParse', (error as Error).message);
  }
  return next;
}

interface UpdateOutcome {
  readonly matched: number;
  readonly modified: number;
  readonly before: Document | undefined;
  readonly after: Document | undefined;
  readonly upsertedId: unknown;
}

/** One update statement: modifies the first (or, with `multi`, every) match, or inserts with `upsert`. */
function updateOne(
  collection: Collection,
  statement: { q?: Document; u: Document | Document[]; upsert?: boolean; multi?: boolean; sort?: Document; arrayFilters?: Document[] },
): UpdateOutcome {
  const matches = matching(collection, statement.q, statement.sort);
  const targets = statement.multi ? matches : matches.slice(0, 1);
  let modified = 0;
  let after: Document | undefined;
  for (const current of targets) {
    after = updated(current, statement.u, false, statement.arrayFilters);
    if (EJSON.stringify(after) !== EJSON.stringify(current)) {
      collection.replace(current, after);
      modified++;
    }
  }
  if (targets.length > 0 || !statement.upsert) {
    return { matched: targets.length, modified, before: targets[0], after, upsertedId: undefined };
  }
  const seed = seedFromFilter(statement.q ?? {});
  const inserted = updated({ _id: seed['_id'] ?? new ObjectId(), ...seed }, statement.u, true, statement.arrayFilters);
  const stored = collection.insert(inserted);
  return { matched: 0, modified: 0, before: undefined, after: stored, upsertedId: stored['_id'] };
}

function writeError(index: number, error: unknown): Document {
  if (error instanceof CommandError) return { index, code: error.code, errmsg: error.message, ...error.extra };
  throw error;
}

function insert(command: Document, db: string, context: CommandContext): Document {
  const collection = context.storage.collection(db, collectionName(command, 'insert'), true);
  const writeErrors: Document[] = [];
  let n = 0;
  for (const [index, document] of (command['documents'] as Document[]).entries()) {
    try {
      collection.insert(document);
      n++;
    } catch (error) {
      writeErrors.push(writeError(index, error));
      if (command['ordered'] !== false) break;
    }
  }
  return { n, ...(writeErrors.length > 0 ? { writeErrors } : {}) };
}

function update(command: Document, db: string, context: CommandContext): Document {
  const collection = context.storage.collection(db, collectionName(command, 'update'), true);
  const writeErrors: Document[] = [];
  const upserted: Document[] = [];
  let n = 0;
  let nModified = 0;
  for (const [index, statement] of (command['updates'] as Array<Parameters<typeof updateOne>[1]>).entries()) {
    try {
      const outcome = updateOne(collection, statement);
      n += outcome.matched;
      nModified += outcome.modified;
      if (outcome.upsertedId !== undefined) {
        n++;
        upserted.push({ index, _id: outcome.upsertedId });
      }
    } catch (error) {
      writeErrors.push(writeError(index, error));
      if (command['ordered'] !== false) break;
    }
  }
  return { n, nModified, ...(upserted.length > 0 ? { upserted } : {}), ...(writeErrors.length > 0 ? { writeErrors } : {}) };
}

function remove(command: Document, db: string, context: CommandContext): Document {
  const collection = context.storage.collection(db, collectionName(command, 'delete'));
  let n = 0;
  for (const statement of command['deletes'] as Array<{ q: Document; limit: number }>) {
    if (!collection) break;
    const matches = matching(collection, statement.q);
    for (const document of statement.limit === 1 ? matches.slice(0, 1) : matches) {
      collection.remove(document);
      n++;
    }
  }
  return { n };
}

function findAndModify(command: Document, db: string, context: CommandContext): Document {
  const collection = context.storage.collection(db, collectionName(command, 'findAndModify'), true);
  const fields = command['fields'] as Document | undefined;
  const shown = (document: Document | undefined): Document | null => (document ? project(document, fields) : null);
  if (command['remove']) {
    const [target] = matching(collection, command['query'], command['sort']);
    if (target) collection.remove(target);
    return { lastErrorObject: { n: target ? 1 : 0 }, value: shown(target) };
  }
  const outcome = updateOne(collection, {
    q: command['query'],
    u: command['update'],
    upsert: command['upsert'],
    sort: command['sort'],
    arrayFilters: command['arrayFilters'],
  });
  const upserted = outcome.upsertedId !== undefined;
  return {
    lastErrorObject: {
      n: upserted ? 1 : outcome.matched,
      updatedExisting: outcome.matched > 0,
      ...(upserted ? { upserted: outcome.upsertedId } : {}),
    },
    value: shown(command['new'] ? outcome.after : outcome.before),
  };
}

function createIndexes(command: Document, db: string, context: CommandContext): Document {
  const name = collectionName(command, 'createIndexes');
  const existed = context.storage.collection(db, name) !== undefined;
  const collection = context.storage.collection(db, name, true);
  const numIndexesBefore = collection.indexes.length;
  for (const spec of command['indexes'] as Array<{ key: Record<string, number>; name: string; unique?: boolean }>) {
    collection.createIndex(spec);
  }
  return { createdCollectionAutomatically: !existed, numIndexesBefore, numIndexesAfter: collection.indexes.length };
}

function listIndexes(command: Document, db: string, context: CommandContext): Document {
  const name = collectionName(command, 'listIndexes');
  const collection = context.storage.collection(db, name);
  if (!collection) throw new CommandError(26, 'NamespaceNotFound', `ns does not exist: ${namespaceOf(db, name)}`);
  return cursorReply(
    db,
    name,
    collection.indexes.map((index) => ({ ...index })),
  );
}

function drop(command: Document, db: string, context: CommandContext): Document {
  const name = collectionName(command, 'drop');
  const nIndexesWas = context.storage.drop(db, name);
  return { ns: namespaceOf(db, name), ...(nIndexesWas === undefined ? {} : { nIndexesWas }) };
}

const handlers: Readonly<Record<string, Handler>> = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: () => ({}),
  buildInfo: () => ({ version: '7.0.0', versionArray: [7, 0, 0, 0], maxBsonObjectSize: MAX_DOCUMENT_BYTES }),
  endSessions: () => ({}),
  find,
  aggregate,
  insert,
  update,
  delete: remove,
  findAndModify,
  createIndexes,
  listIndexes,
  drop,
};

/** Runs one command and answers the reply document, `ok: 1` or a MongoDB-style `ok: 0` error. */
export function runCommand(command: Document, context: CommandContext): Document {
  const name = Object.keys(command)[0] ?? '';
  const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  if (!handler) {
    return {
      ok: 0,
      errmsg: `no such command: '${name}' (the cachier test server implements only what the driver sends for cachier)`,
      code: 59,
      codeName: 'CommandNotFound',
    };
  }
  try {
    return { ...handler(command, String(command['$db'] ?? 'test'), context), ok: 1 };
  } catch (error) {
    if (error instanceof CommandError) return { ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName, ...error.extra };
    return { ok: 0, errmsg: (error as Error).message, code: 1, codeName: 'InternalError' };
  }
}
