import { basename } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { MarkState } from './marks.js';

/*
 * Waiting for another caller's computation: re-read the key's mark whenever
 * something changes in the marks folder (chokidar file events) and, because
 * file events get lost on network drives, containers and busy machines, also
 * on a timer that starts short and backs off. A dead owner is noticed on the
 * next look (its pid is gone) or when its lease ends, whichever comes first.
 */

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;
const POLL_GROWTH = 1.5;

/** The moment a wait of `timeoutMs` gives up; 0 waits as long as the mark lives. */
export function deadlineOf(timeoutMs: number): number {
  return timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
}

/** How long to sleep before looking at a live mark again. */
function nextDelay(poll: number, deadline: number, expiresAt: number): number {
  const now = Date.now();
  return Math.max(1, Math.min(poll, deadline - now, expiresAt - now + 1));
}

interface Waiter {
  readonly markName: string;
  changed: boolean;
  wake: (() => void) | undefined;
}

interface SharedWatcher {
  readonly watcher: Promise<FSWatcher | undefined>;
  readonly waiters: Set<Waiter>;
}

// One chokidar watcher per marks folder, shared by every waiter of this
// process and closed when the last one leaves, so nothing outlives a wait.
const watchers = new Map<string, SharedWatcher>();
let chokidar: Promise<typeof import('chokidar') | undefined> | undefined;

function startWatcher(marksDir: string, waiters: Set<Waiter>): Promise<FSWatcher | undefined> {
  // Loaded on first wait only: most processes never wait and should not pay for it.
  chokidar ??= import('chokidar').catch(() => undefined);
  return chokidar.then((module) => {
    if (!module) return undefined;
    const watcher = module.watch(marksDir, { ignoreInitial: true, depth: 0, persistent: false, atomic: false });
    watcher.on('all', (_event, path) => {
      const name = basename(path);
      for (const waiter of waiters) {
        if (waiter.markName !== name) continue;
        waiter.changed = true;
        waiter.wake?.();
      }
    });
    // Lost events are what the polling is for.
    watcher.on('error', () => undefined);
    return watcher;
  });
}

function subscribe(marksDir: string, markName: string): { waiter: Waiter; leave: () => void } {
  let shared = watchers.get(marksDir);
  if (!shared) {
    const waiters = new Set<Waiter>();
    shared = { waiters, watcher: startWatcher(marksDir, waiters) };
    watchers.set(marksDir, shared);
  }
  const waiter: Waiter = { markName, changed: false, wake: undefined };
  shared.waiters.add(waiter);
  const joined = shared;
  const leave = (): void => {
    joined.waiters.delete(waiter);
    if (joined.waiters.size > 0) return;
    watchers.delete(marksDir);
    void joined.watcher.then((watcher) => watcher?.close()).catch(() => undefined);
  };
  return { waiter, leave };
}

/** Resolves after `ms`, or earlier when the waiter's mark changes. */
function sleepUnlessChanged(waiter: Waiter, ms: number): Promise<void> {
  if (waiter.changed) {
    waiter.changed = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    // Deliberately not unref'd: the caller is awaiting this wait, so the process must stay up for it.
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      waiter.wake = undefined;
      waiter.changed = false;
      resolve();
    }
    waiter.wake = done;
  });
}

/**
 * Waits, without blocking the event loop, until the mark read by `readState`
 * is no longer live. Answers `true` then, or `false` once `deadline` passes.
 */
export async function waitWhileMarked(
  marksDir: string,
  markName: string,
  deadline: number,
  readState: () => MarkState | Promise<MarkState>,
): Promise<boolean> {
  let state = await readState();
  if (state.kind !== 'live') return true;
  const { waiter, leave } = subscribe(marksDir, markName);
  try {
    let poll = FIRST_POLL_MS;
    while (state.kind === 'live') {
      if (Date.now() >= deadline) return false;
      await sleepUnlessChanged(waiter, nextDelay(poll, deadline, state.expiresAt));
      poll = Math.min(poll * POLL_GROWTH, MAX_POLL_MS);
      state = await readState();
    }
    return true;
  } finally {
    leave();
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * The synchronous wait of sync functions: sleeps with `Atomics.wait` (the
 * thread sleeps, no busy loop) between looks at the mark. A mark held by
 * this very process cannot be waited for, since its owner can only finish
 * once this call returns, so that counts as a timeout.
 */
export function waitWhileMarkedSync(deadline: number, readState: () => MarkState): boolean {
  let poll = FIRST_POLL_MS;
  while (true) {
    const state = readState();
    if (state.kind !== 'live') return true;
    if (state.ownedByThisProcess || Date.now() >= deadline) return false;
    Atomics.wait(sleeper, 0, 0, nextDelay(poll, deadline, state.expiresAt));
    poll = Math.min(poll * POLL_GROWTH, MAX_POLL_MS);
  }
}
