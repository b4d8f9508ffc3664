// Runs the cachier Babel plugin (from dist/) with Babel 8, which needs Node 22.18+: the test spawns it under Node 22.
// Reads { code, filename, inputSourceMap } as JSON from stdin; prints { code, map } or { error }.
import { readFileSync } from 'node:fs';
import { transformSync } from '@babel/core';
import cachierBabel from '../../../dist/transformer/routes/babel/babel.js';

const { code, filename, inputSourceMap } = JSON.parse(readFileSync(0, 'utf8'));
try {
  const result = transformSync(code, {
    filename,
    configFile: false,
    babelrc: false,
    plugins: [cachierBabel],
    sourceMaps: true,
    inputSourceMap,
  });
  console.log(JSON.stringify({ code: result.code, map: result.map }));
} catch (error) {
  console.log(JSON.stringify({ error: error.message }));
}
