import { parseDuration } from '../../runtime/duration.js';
import { parseByteSize } from '../../runtime/size.js';

// The runtime's duration and size grammars, checked at compile time by the same parsers.

/** Whether `text` is a duration the runtime accepts (`500ms`, `30s`, `5m`, `3h`, `3d`, `2w`, `1h30m`, or milliseconds). */
export function isDurationText(text: string): boolean {
  return accepts(() => parseDuration(text));
}

/** Whether `text` is zero in every unit (`0`, `0s`, `0h0m`), which a lease cannot be. */
export function isZeroDuration(text: string): boolean {
  return accepts(() => parseDuration(text)) && parseDuration(text) === 0;
}

/** Whether `text` is a byte size the runtime accepts: bytes, or `512B`, `64KB`, `10MB`, `1GB`. */
export function isByteSizeText(text: string): boolean {
  return accepts(() => parseByteSize(text, 'entrySizeLimit'));
}

function accepts(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}
