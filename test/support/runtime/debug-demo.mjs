// Calls a memory-cached function twice so NODE_DEBUG=cachier shows a miss, then a hit.
import { cachier } from '../../../dist/runtime/index.js';

const double = cachier((x) => x * 2, { backend: 'memory', id: 'debug-demo#double' });
double(21);
double(21);
