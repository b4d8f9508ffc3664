const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => new Date().toISOString().slice(11, 23);

/**
 * Squares a number, slowly, as if it asked a remote service.
 * @cachier staleAfter=2s
 */
export async function slowSquare(n: number) {
  await sleep(500);
  return { n, square: n * n, computedAt: now() };
}

/**
 * Cubes a number, slowly. When its entry is stale, callers get the old value
 * at once while a fresh one is computed in the background.
 * @cachier staleAfter=1s nextTime
 */
export async function slowCube(n: number) {
  await sleep(500);
  return { n, cube: n ** 3, computedAt: now() };
}
