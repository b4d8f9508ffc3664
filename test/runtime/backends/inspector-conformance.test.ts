import { mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { carryOut, createOutput } from '../../../cli/output.js';
import { backendNamed } from '../../../runtime/backends/registry.js';
import type { CacheInspector, FunctionInfo, Removal } from '../../../runtime/backends/shared/inspection.js';
import { cachier, setDefaults, type CachierOptions } from '../../../runtime/index.js';
import { serializeValue } from '../../../runtime/serialization.js';
import { suiteFor } from '../../support/backends/suite.js';
import { backendTargets, type BackendTarget } from '../../support/backends/targets.js';
import type { Machine } from '../../support/backends/machines.mjs';

// One set of tests every backend's inspector runs, on caches made by real
// cached calls against the real servers (as the backend conformance suite
// does): what `cachier ls/show/stats` count, what `verify` finds, and what
// `clear` and `prune` remove, checked by what the application then gets.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SHARED_KEY = 'inspector-conformance-shared-key-0123456789';

interface InspectedTarget {
  readonly name: string;
  readonly target: BackendTarget;
  /** Options added to the machine's (a shared file cache). */
  readonly extra: Partial<CachierOptions>;
}

const targets: InspectedTarget[] = backendTargets()
  .filter((target) => target.backend !== 'memory')
  .flatMap((target) => [
    { name: target.backend, target, extra: {} },
    ...(target.backend === 'file' ? [{ name: 'file (shared: true, CACHIER_SHARED_KEY)', target, extra: { shared: true } }] : []),
  ]);

describe.each(targets.map((inspected) => [inspected.name, inspected] as const))('%s inspector', (_, { target, extra }) => {
  const { spec, machine: connect, uniqueId } = suiteFor(target);
  let previousKey: string | undefined;
  beforeAll(() => {
    previousKey = process.env['CACHIER_SHARED_KEY'];
    process.env['CACHIER_SHARED_KEY'] = SHARED_KEY;
  });
  afterAll(() => {
    if (previousKey === undefined) delete process.env['CACHIER_SHARED_KEY'];
    else process.env['CACHIER_SHARED_KEY'] = previousKey;
  });

  // A file cache folder of its own per test, so a test that damages entries damages only its own.
  let address = '';
  const machine = async (): Promise<Machine> => connect(address);
  const prepare = (): void => {
    address = target.backend === 'file' ? mkdtempSync(join(tmpdir(), 'cachier-inspect-')) : target.address();
  };

  /** The application's options on a machine: the backend's connection plus `extra`. */
  const optionsOf = (m: Machine): CachierOptions => ({ ...(m.options as CachierOptions), ...extra });

  /** A cached function on its own machine that counts its computations. */
  async function cachedFunction(id: string, sourceHash: string, clockOffsetMs = 0) {
    const m = await machine();
    setDefaults({ clock: () => Date.now() - clockOffsetMs });
    const calls = { count: 0 };
    const fn = cachier(
      async (key: number) => {
        calls.count++;
        return { id, key, payload: 'x'.repeat(40 + key) };
      },
      { ...optionsOf(m), id, sourceHash },
    );
    return {
      fn,
      calls,
      callAll: async (keys: readonly number[]) => {
        for (const key of keys) await fn(key);
      },
    };
  }

  /** The inspector the command opens, on a connection of its own (closed with it). */
  async function inspector(): Promise<CacheInspector> {
    const m = await machine();
    const options: Readonly<Record<string, unknown>> = { ...m.options, ...extra };
    return (await backendNamed(target.backend)!.loadInspector!()).openInspector(options);
  }

  async function listed(id: string, staleAfterMs?: number): Promise<{ fn: FunctionInfo; inspector: CacheInspector }> {
    const opened = await inspector();
    const found = (await opened.functions(staleAfterMs)).find((fn) => fn.id === id);
    if (!found) throw new Error(`${id} is not listed`);
    return { fn: found, inspector: opened };
  }

  const carry = (removals: readonly Removal[]) => carryOut(createOutput({ json: true, color: false }), 'test', removals);
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_unused, index) => from + index);

  spec('ls and show count the entries of each version; the version used last is current', async () => {
    prepare();
    const id = uniqueId('src/count.ts#count');
    await (await cachedFunction(id, 'v1', HOUR)).callAll(range(0, 3));
    await (await cachedFunction(id, 'v2')).callAll(range(0, 2));
    const { fn, inspector: opened } = await listed(id);
    expect(fn.backend).toBe(target.backend);
    expect(fn.versions.map((version) => [version.sourceHash ?? '?', version.entries, version.current])).toEqual([
      ['v2', 2, true],
      ['v1', 3, false],
    ]);
    const entries = await opened.entries(fn, undefined);
    expect(entries.map((entry) => entry.sourceHash).sort()).toEqual(['v1', 'v1', 'v1', 'v2', 'v2']);
    await opened.close();
  });

  spec('stats bytes are the bytes of the entries listed, at least the serialized values', async () => {
    prepare();
    const id = uniqueId('src/bytes.ts#bytes');
    await (await cachedFunction(id, 'v1')).callAll(range(0, 4));
    const { fn, inspector: opened } = await listed(id);
    const entries = await opened.entries(fn, undefined);
    const values = range(0, 4).map((key) => serializeValue({ id, key, payload: 'x'.repeat(40 + key) }, undefined).length);
    expect(fn.versions[0]?.bytes).toBe(entries.reduce((sum, entry) => sum + entry.bytes, 0));
    const sizes = entries.map((entry) => entry.bytes).sort((a, b) => a - b);
    // The file backend's entries hold a header and the key besides the value; the others store the value alone.
    if (target.backend === 'file') {
      for (const [index, size] of sizes.entries()) expect(size).toBeGreaterThan(values[index] as number);
    } else expect(sizes).toEqual(values);
    await opened.close();
  });

  spec('verify finds no problem in healthy entries, and exactly the damaged ones; --fix removes only those', async () => {
    prepare();
    const damaged = uniqueId('src/verify.ts#damaged');
    const healthy = uniqueId('src/verify.ts#healthy');
    await (await cachedFunction(healthy, 'v1')).callAll(range(0, 5));
    const clean = await inspector();
    const all = await clean.functions(undefined);
    expect(
      await clean.verifyPlan(
        all.filter((fn) => fn.id === healthy),
        () => undefined,
      ),
    ).toEqual([]);
    await clean.close();

    await (await cachedFunction(damaged, 'v1')).callAll(range(0, 3));
    // The file target damages every entry under a folder: handed the damaged function's own.
    await target.garble?.(target.backend === 'file' ? (await listed(damaged)).fn.location : address, damaged);
    const opened = await inspector();
    const functions = (await opened.functions(undefined)).filter((fn) => fn.id === damaged || fn.id === healthy);
    let read = 0;
    const problems = await opened.verifyPlan(functions, () => read++);
    expect(read).toBe(8);
    expect(problems.map((problem) => problem.functionId)).toEqual([damaged, damaged, damaged]);
    const outcome = await carry(problems);
    expect(outcome.removed).toHaveLength(3);
    await opened.close();

    const after = await inspector();
    const left = (await after.functions(undefined)).filter((fn) => fn.id === damaged || fn.id === healthy);
    expect(await after.verifyPlan(left, () => undefined)).toEqual([]);
    await after.close();
    const again = await cachedFunction(healthy, 'v1');
    await again.callAll(range(0, 5));
    expect(again.calls.count).toBe(0);
  });

  spec('clear of one function removes its entries and leaves the others, which still hit', async () => {
    prepare();
    const cleared = uniqueId('src/clear.ts#cleared');
    const kept = uniqueId('src/clear.ts#kept');
    await (await cachedFunction(cleared, 'v1')).callAll(range(0, 4));
    await (await cachedFunction(kept, 'v1')).callAll(range(0, 3));
    const { fn, inspector: opened } = await listed(cleared);
    const plan = await opened.clearPlan([fn]);
    expect(plan.reduce((sum, removal) => sum + removal.entries, 0)).toBe(4);
    expect((await carry(plan)).removed.length).toBeGreaterThan(0);
    await opened.close();

    const after = await inspector();
    const functions = await after.functions(undefined);
    const entriesOf = (id: string) =>
      functions.find((item) => item.id === id)?.versions.reduce((sum, version) => sum + version.entries, 0) ?? 0;
    expect(entriesOf(cleared)).toBe(0);
    expect(entriesOf(kept)).toBe(3);
    await after.close();
    const keptAgain = await cachedFunction(kept, 'v1');
    await keptAgain.callAll(range(0, 3));
    expect(keptAgain.calls.count).toBe(0);
    const clearedAgain = await cachedFunction(cleared, 'v1');
    await clearedAgain.callAll(range(0, 4));
    expect(clearedAgain.calls.count).toBe(4);
  });

  spec('prune removes old versions and stale entries only; what it keeps still hits', async () => {
    prepare();
    const id = uniqueId('src/prune.ts#pruned');
    // The current version first, so no core's own sweep of older versions sees the old one.
    await (await cachedFunction(id, 'v2')).callAll(range(0, 3));
    await (await cachedFunction(id, 'v2', 2 * HOUR)).callAll(range(3, 2));
    await (await cachedFunction(id, 'v1', 2 * DAY)).callAll(range(0, 4));
    if (target.backend === 'file') {
      const old = (await listed(id)).fn.versions.find((version) => version.sourceHash === 'v1');
      const twoDaysAgo = new Date(Date.now() - 2 * DAY);
      utimesSync(join(old?.location ?? '', 'used'), twoDaysAgo, twoDaysAgo);
    }
    const { fn, inspector: opened } = await listed(id, HOUR);
    const plan = await opened.prunePlan([fn], { staleAfterMs: HOUR, unusedForMs: DAY });
    expect(plan.map((removal) => [removal.kind, removal.entries]).sort()).toEqual([
      ['old version', 4],
      ['stale entry', 1],
      ['stale entry', 1],
    ]);
    expect((await carry(plan)).removed).toHaveLength(3);
    await opened.close();

    const after = (await listed(id)).fn;
    expect(after.versions.map((version) => [version.sourceHash, version.entries])).toEqual([['v2', 3]]);
    const current = await cachedFunction(id, 'v2');
    await current.callAll(range(0, 5));
    expect(current.calls.count).toBe(2);
  });
});
