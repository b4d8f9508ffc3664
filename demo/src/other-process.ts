import { slowSquare } from './squares.js';
import { timed } from './timed.js';

await timed('slowSquare(12), in another process', () => slowSquare(12));
