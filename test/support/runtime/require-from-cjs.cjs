// User code compiled with `module: commonjs` loads the runtime with require().
const { cachier, CachierError } = require('cachier');

let calls = 0;
const square = cachier((x) => (calls++, x * x), { backend: 'memory', id: 'cjs#square' });
square(4);
process.stdout.write(JSON.stringify({ value: square(4), calls, errorClass: typeof CachierError }));
