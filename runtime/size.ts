import { InvalidOptionError } from './errors.js';

/** A number of bytes, or text such as `512B`, `64KB`, `10MB`, `1GB` (powers of 1024). */
export type ByteSize = number | string;

const UNIT_BYTES: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses a {@link ByteSize}; `option` names the option in the error. */
export function parseByteSize(input: ByteSize, option: string): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input > 0) return Math.floor(input);
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(input);
    const bytes = match ? Math.floor(Number(match[1]) * (UNIT_BYTES[(match[2] ?? 'b').toLowerCase()] as number)) : 0;
    if (bytes > 0) return bytes;
  }
  throw new InvalidOptionError(option, `expected a positive number of bytes or a size such as 64KB or 10MB, got ${JSON.stringify(input)}`);
}
