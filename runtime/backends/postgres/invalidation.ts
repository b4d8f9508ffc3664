import { createHash } from 'node:crypto';
import { lazyClient } from '../shared/connection.js';
import { PROCESS_ORIGIN, type InvalidationChannel, type InvalidationSettings } from '../shared/invalidation.js';
import { listenerOf } from './listener.js';
import { asPostgresPool } from './pool.js';
import { CHANNEL } from './schema.js';

/** Marks a notification as a local tier's, apart from the key digests that wake waiters. */
const PREFIX = 'local:';

/**
 * The PostgreSQL invalidation channel of one function: `pg_notify` on the
 * channel waiters already LISTEN on, delivered by the listening connection of
 * the pool (`listener.ts`), which a local tier keeps open. The payload is
 * `local:<function digest>:<origin>:<key>` (an empty key: every entry); the
 * function is named by a digest because payloads are limited to 8000 bytes.
 */
export function createInvalidationChannel(settings: InvalidationSettings): InvalidationChannel {
  const functionDigest = createHash('sha1').update(`${settings.functionId}\n${settings.sourceHash}`).digest('base64url');
  const ours = `${PREFIX}${functionDigest}:`;
  const pool = lazyClient(settings.connection, asPostgresPool);
  let listening: (() => boolean) | undefined;
  pool().then(
    (ready) => {
      listening = listenerOf(ready, settings.log).hold({
        notified(payload) {
          if (!payload.startsWith(ours)) return;
          const rest = payload.slice(ours.length);
          const colon = rest.indexOf(':');
          if (colon < 0 || rest.slice(0, colon) === PROCESS_ORIGIN) return;
          const key = rest.slice(colon + 1);
          settings.copies.drop(key === '' ? undefined : key);
        },
        resync: () => settings.copies.drop(undefined),
      });
    },
    (error: unknown) => settings.log.debug(`no local tier: ${String(error)}`),
  );
  return {
    announce: async (key) => {
      await (await pool()).query({ text: `SELECT pg_notify('${CHANNEL}', $1)`, values: [`${ours}${PROCESS_ORIGIN}:${key ?? ''}`] });
    },
    ready: () => listening?.() ?? false,
  };
}
