import { BSON, type Document } from 'bson';

/**
 * The MongoDB wire protocol, as far as the official driver speaks it to a
 * standalone server: OP_MSG for every command, and the legacy OP_QUERY for the
 * first handshake (the driver does not know yet that the server speaks OP_MSG).
 * See https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/.
 */

const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const HEADER_BYTES = 16;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;

/** The largest message a client may send, as announced in `hello`. */
export const MAX_MESSAGE_BYTES = 48_000_000;

/** One command received from a client. */
export interface IncomingCommand {
  readonly requestId: number;
  /** OP_QUERY commands are answered with OP_REPLY, OP_MSG ones with OP_MSG. */
  readonly protocol: 'op_query' | 'op_msg';
  /** The command document, with OP_MSG document sequences folded in as arrays. */
  readonly command: Document;
  /** The client asked for no reply (`moreToCome`, used by `w: 0` writes). */
  readonly noReply: boolean;
}

/** A message that cannot be understood; the connection is closed. */
export class WireProtocolError extends Error {}

/**
 * Splits a byte stream into whole messages: returns the complete messages
 * found in `buffer` and the bytes left over for the next chunk.
 */
export function splitMessages(buffer: Buffer): { messages: Buffer[]; rest: Buffer } {
  const messages: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readInt32LE(offset);
    if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) throw new WireProtocolError(`bad message length ${length}`);
    if (buffer.length - offset < length) break;
    messages.push(buffer.subarray(offset, offset + length));
    offset += length;
  }
  return { messages, rest: buffer.subarray(offset) };
}

/** Decodes one whole message into the command it carries. */
export function decodeMessage(message: Buffer): IncomingCommand {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_MSG) return decodeOpMsg(message, requestId);
  if (opCode === OP_QUERY) return decodeOpQuery(message, requestId);
  throw new WireProtocolError(`unsupported opCode ${opCode} (only OP_MSG and the OP_QUERY handshake are served)`);
}

function decodeOpMsg(message: Buffer, requestId: number): IncomingCommand {
  const flags = message.readUInt32LE(HEADER_BYTES);
  const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let offset = HEADER_BYTES + 4;
  let command: Document | undefined;
  const sequences: Array<[string, Document[]]> = [];
  while (offset < end) {
    const kind = message[offset++];
    if (kind === 0) {
      const size = message.readInt32LE(offset);
      command = BSON.deserialize(message.subarray(offset, offset + size));
      offset += size;
    } else if (kind === 1) {
      const size = message.readInt32LE(offset);
      const sectionEnd = offset + size;
      const nameEnd = message.indexOf(0, offset + 4);
      const identifier = message.toString('utf8', offset + 4, nameEnd);
      const documents: Document[] = [];
      for (let at = nameEnd + 1; at < sectionEnd; ) {
        const docSize = message.readInt32LE(at);
        documents.push(BSON.deserialize(message.subarray(at, at + docSize)));
        at += docSize;
      }
      sequences.push([identifier, documents]);
      offset = sectionEnd;
    } else {
      throw new WireProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!command) throw new WireProtocolError('OP_MSG without a body section');
  for (const [identifier, documents] of sequences) command[identifier] = documents;
  return { requestId, protocol: 'op_msg', command, noReply: (flags & MORE_TO_COME) !== 0 };
}

function decodeOpQuery(message: Buffer, requestId: number): IncomingCommand {
  const nameStart = HEADER_BYTES + 4;
  const nameEnd = message.indexOf(0, nameStart);
  const collection = message.toString('utf8', nameStart, nameEnd);
  if (!collection.endsWith('.$cmd')) throw new WireProtocolError(`OP_QUERY on ${collection}: only commands are served`);
  const queryStart = nameEnd + 1 + 8;
  const size = message.readInt32LE(queryStart);
  const query = BSON.deserialize(message.subarray(queryStart, queryStart + size));
  // Legacy commands may be wrapped as { $query: command, $readPreference: ... }.
  const command: Document = query['$query'] ?? query;
  command['$db'] = collection.slice(0, -'.$cmd'.length);
  return { requestId, protocol: 'op_query', command, noReply: false };
}

let nextResponseId = 1;

/** Encodes the reply to `request` in the protocol it came in. */
export function encodeReply(request: IncomingCommand, reply: Document): Buffer {
  const body = BSON.serialize(reply);
  const header = Buffer.alloc(HEADER_BYTES);
  let prefix: Buffer;
  if (request.protocol === 'op_msg') {
    header.writeInt32LE(OP_MSG, 12);
    prefix = Buffer.alloc(5); // flagBits 0, then section kind 0
  } else {
    header.writeInt32LE(OP_REPLY, 12);
    prefix = Buffer.alloc(20);
    prefix.writeInt32LE(1, 16); // numberReturned; flags, cursorId and startingFrom stay 0
  }
  header.writeInt32LE(HEADER_BYTES + prefix.length + body.length, 0);
  header.writeInt32LE(nextResponseId++, 4);
  header.writeInt32LE(request.requestId, 8);
  return Buffer.concat([header, prefix, body]);
}
