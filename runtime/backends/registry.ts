import type { BackendDescriptor } from './descriptor.js';
import { fileBackend } from './file/descriptor.js';
import { memoryBackend } from './memory/descriptor.js';
import { mongoBackend } from './mongo/descriptor.js';
import { postgresBackend } from './postgres/descriptor.js';
import { redisBackend } from './redis/descriptor.js';
import { s3Backend } from './s3/descriptor.js';

/** Every backend, one line each: the one list option validation, the engine, the tag grammar and the command read. */
export const backends = [
  memoryBackend,
  fileBackend,
  mongoBackend,
  redisBackend,
  postgresBackend,
  s3Backend,
] as const satisfies readonly BackendDescriptor[];

/** The name of a backend in the registry, as the `backend` option takes it. */
export type BackendName = (typeof backends)[number]['name'];

/** The descriptor of the backend named `name`, or `undefined`. */
export function backendNamed(name: string): BackendDescriptor | undefined {
  return (backends as readonly BackendDescriptor[]).find((backend) => backend.name === name);
}

/** The backend whose connection option is `option`, or `undefined`. */
export function backendConnectedBy(option: string): BackendDescriptor | undefined {
  return (backends as readonly BackendDescriptor[]).find((backend) => backend.connection?.option === option);
}
