// Runs the cachier Babel plugin (from dist/) with Babel 8 on one file, writes another file, and runs it again in
// the same process, as @babel/cli --watch and babel-jest do (Babel keeps one plugin instance across files).
// Reads { code, filename, edit: { file, text } } as JSON from stdin; prints { before, after }, the two outputs' code.
import { readFileSync, writeFileSync } from 'node:fs';
import { transformSync } from '@babel/core';
import cachierBabel from '../../../dist/transformer/routes/babel/babel.js';

const { code, filename, edit } = JSON.parse(readFileSync(0, 'utf8'));
const options = { filename, configFile: false, babelrc: false, plugins: [cachierBabel] };
const before = transformSync(code, options).code;
writeFileSync(edit.file, edit.text);
const after = transformSync(code, options).code;
console.log(JSON.stringify({ before, after }));
