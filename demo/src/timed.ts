/** Calls `call`, prints its value and how long it took. */
export async function timed(label: string, call: () => Promise<unknown>): Promise<void> {
  const started = performance.now();
  const value = await call();
  const ms = (performance.now() - started).toFixed(1);
  console.log(`  ${label.padEnd(44)} -> ${JSON.stringify(value)}  (${ms} ms)`);
}
