import { cachier, cachierKey } from 'cachier';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  // Instances with the same coordinates share a cache entry.
  [cachierKey]() {
    return [this.x, this.y];
  }
}

const distance = cachier((a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y), { backend: 'memory' });
console.log(distance(new Point(0, 0), new Point(3, 4))); // 5

interface Order {
  id: string;
  lines: { price: number }[];
}
// Key on the order's id only.
const orderTotal = cachier((order: Order) => order.lines.reduce((sum, line) => sum + line.price, 0), {
  backend: 'memory',
  hash: ([order]) => order.id,
});
console.log(orderTotal({ id: 'o-1', lines: [{ price: 2 }, { price: 3 }] })); // 5

class Customer {
  constructor(readonly name: string) {}
}
const greet = cachier((customer: Customer) => `hello ${customer.name}`, { backend: 'memory' });
try {
  greet(new Customer('ann'));
} catch (error) {
  // UnkeyableArgumentError: cachier: cannot build a cache key: argument 1 is an instance of Customer, ...
  console.log(`${(error as Error).name}: ${(error as Error).message.slice(0, 80)}...`);
}
