/**
 * The runtime's duration grammar, checked at compile time: a number of
 * milliseconds, or amounts with units `w d h m s ms`, largest unit first and
 * each unit at most once (`500ms`, `30s`, `5m`, `3h`, `3d`, `2w`, `1h30m`).
 */
const DURATION = /^(?=\d)(\d+(\.\d+)?w)?(\d+(\.\d+)?d)?(\d+(\.\d+)?h)?(\d+(\.\d+)?m(?!s))?(\d+(\.\d+)?s)?(\d+(\.\d+)?ms)?$/;

const MILLISECONDS = /^\d+(\.\d+)?$/;

/** Whether `text` is a duration the runtime accepts. */
export function isDurationText(text: string): boolean {
  return MILLISECONDS.test(text) || DURATION.test(text);
}

/** Whether `text` is zero in every unit (`0`, `0s`, `0h0m`), which a lease cannot be. */
export function isZeroDuration(text: string): boolean {
  return !/[1-9]/.test(text);
}

/** Whether `text` is a byte size the runtime accepts: bytes, or `512B`, `64KB`, `10MB`, `1GB`. */
export function isByteSizeText(text: string): boolean {
  return /^\d+(\.\d+)?(b|kb|mb|gb)?$/i.test(text) && /[1-9]/.test(text);
}
