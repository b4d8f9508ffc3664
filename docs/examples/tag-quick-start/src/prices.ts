import { cacheOf } from 'cachier';

/** Fetches a price, slowly. @cachier staleAfter=1h */
export async function fetchPrice(symbol: string): Promise<number> {
  console.log(`computing ${symbol}...`);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return symbol.length * 100;
}

console.log(await fetchPrice('ACME'));
console.log((await cacheOf(fetchPrice).cacheInfo()).id);
