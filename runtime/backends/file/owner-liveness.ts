import { readFileSync } from 'node:fs';
import { onFirstUse } from '../../node-builtins.js';
import { errorCode } from './files.js';

/*
 * What this host can tell about the process a mark names. `process.kill(pid, 0)`
 * says whether the pid exists. On Linux `/proc/<pid>/stat` says more: a zombie
 * (killed, not yet reaped by its parent) still has its pid but computes nothing,
 * a stopped process (SIGSTOP, Ctrl-Z) computes nothing until it is resumed, and
 * the process's start time tells the mark's owner from a later process that got
 * its pid (the owner's start time is written in the mark). Without `/proc`
 * (macOS, Windows), a pid that exists counts as running.
 */

/** Whether a mark's owner is running, stopped, or gone (pid free, a zombie, or reused). */
export type OwnerLiveness = 'gone' | 'stopped' | 'running';

interface ProcessStat {
  readonly state: string;
  /** Field 22 of `/proc/<pid>/stat`: clock ticks from boot to the process's start. */
  readonly startTime: string;
}

function statOf(pid: number | 'self'): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // Field 2, the command name, is in parentheses and may hold spaces and
  // parentheses itself: the fields after it start behind the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, startTime] = [fields[0], fields[19]];
  return state && startTime ? { state, startTime } : undefined;
}

/**
 * When this process started, where `/proc` tells it (Linux); undefined
 * elsewhere. Read at the first mark this process writes, not at import, which
 * would cost every cold `import('cachier')` a file read.
 */
export const processStartTime: () => string | undefined = onFirstUse(() => statOf('self')?.startTime);

/** When the process `pid` started, where `/proc` tells it; undefined elsewhere or when there is no such process. */
export function startTimeOf(pid: number): string | undefined {
  return statOf(pid)?.startTime;
}

/**
 * Whether the process `pid`, which started at `startTime` (from the mark;
 * undefined when the mark does not say), is still running on this host.
 */
export function livenessOf(pid: number, startTime: string | undefined): OwnerLiveness {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    if (errorCode(error) !== 'EPERM') return 'gone';
  }
  const stat = statOf(pid);
  if (!stat) return 'running';
  if (stat.state === 'Z' || stat.state === 'X') return 'gone';
  if (startTime !== undefined && stat.startTime !== startTime) return 'gone';
  return stat.state === 'T' || stat.state === 't' ? 'stopped' : 'running';
}
