import { cachier, cachierKey } from 'cachier';

class Account {
  constructor(
    readonly id: string,
    readonly balance: number,
  ) {}
  // A method's key includes its instance: accounts are told apart by id.
  [cachierKey]() {
    return this.id;
  }
  report(month: string): string {
    return `${this.id} in ${month}: ${this.balance}`;
  }
}
Account.prototype.report = cachier(Account.prototype.report, { backend: 'memory' });
console.log(new Account('a-1', 10).report('May')); // a-1 in May: 10
console.log(new Account('b-2', 99).report('May')); // b-2 in May: 99

class Visitor {
  constructor(readonly name: string) {}
}
const greet = cachier(
  function greet(this: Visitor) {
    return `hello ${this.name}`;
  },
  { backend: 'memory' },
);
try {
  greet.call(new Visitor('ann'));
} catch (error) {
  // UnkeyableThisError: cachier: cannot key the call of Visitor.greet(): this is an instance of Visitor, ...
  console.log(`${(error as Error).name}: ${(error as Error).message.slice(0, 80)}...`);
}
