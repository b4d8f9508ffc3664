// Usage: node list.mjs <module path>; imports the module with hooks that report each file module loaded.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

register(new URL('./hooks.mjs', import.meta.url));
await import(pathToFileURL(process.argv[2]).href);
