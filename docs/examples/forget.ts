import { cachier } from 'cachier';

let computations = 0;
const price = cachier(async (item: string) => `${item} ${++computations * 10} EUR`, { backend: 'memory' });

console.log(await price('tea'), await price('coffee')); // tea 10 EUR coffee 20 EUR
console.log(await price.forget('tea')); // true: the entry of price('tea') is gone
console.log(await price.forget('tea')); // false: nothing left to forget
console.log(await price('tea'), await price('coffee')); // tea 30 EUR coffee 20 EUR: only tea computed again
