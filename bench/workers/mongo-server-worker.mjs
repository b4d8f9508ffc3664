/**
 * Runs the bundled MongoDB-compatible test server (test/support/mongo-server)
 * in its own process, so it has a core of its own rather than sharing the
 * benchmark's event loop. Node 20 cannot run TypeScript, so its sources are
 * transpiled first into node_modules/.cache (beside the packages they import).
 * Prints the server's URI, and stops when stdin closes.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { benchDir } from '../lib/settings.mjs';

const sourceDir = join(benchDir, '..', 'test', 'support', 'mongo-server');
const outDir = join(benchDir, '..', 'node_modules', '.cache', 'cachier-bench', 'mongo-server');
mkdirSync(outDir, { recursive: true });
for (const file of readdirSync(sourceDir).filter((name) => name.endsWith('.ts'))) {
  const { outputText } = ts.transpileModule(readFileSync(join(sourceDir, file), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: file,
  });
  writeFileSync(join(outDir, file.replace(/\.ts$/, '.js')), outputText);
}

const { TestMongoServer } = await import(pathToFileURL(join(outDir, 'server.js')).href);
const server = await TestMongoServer.start();
console.log(server.uri);
process.stdin.resume();
process.stdin.on('end', () => {
  server.stop().then(() => process.exit(0));
});
