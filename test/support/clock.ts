import { setDefaults } from '../../runtime/index.js';

/** A clock the test moves by hand, installed as cachier's global clock. */
export interface ManualClock {
  advance(milliseconds: number): void;
}

export function installManualClock(start = 1_700_000_000_000): ManualClock {
  let now = start;
  setDefaults({ clock: () => now });
  return {
    advance(milliseconds) {
      now += milliseconds;
    },
  };
}

/** Resolves after the given number of milliseconds. */
export function sleep(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** Collects the CachierWarning process warnings emitted while `action` runs. */
export async function warningsDuring(action: () => unknown): Promise<Error[]> {
  const warnings: Error[] = [];
  const listener = (warning: Error): void => {
    if (warning.name === 'CachierWarning') warnings.push(warning);
  };
  process.on('warning', listener);
  try {
    await action();
    // process warnings are delivered on a later tick
    await sleep(20);
  } finally {
    process.off('warning', listener);
  }
  return warnings;
}
