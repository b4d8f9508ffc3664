import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Names this machine in claim tokens. */
const HOST = hostname();

/**
 * A new claim token, `host:pid:uuid`: the redis, postgres, s3 and mongo cores
 * store it as a mark's owner, and `cachier ls` reads the host and pid back
 * with {@link ownerOfToken}.
 */
export function newClaimToken(): string {
  return `${HOST}:${process.pid}:${randomUUID()}`;
}

/** The host and pid a {@link newClaimToken} names; nulls for a token of another form. */
export function ownerOfToken(token: string): { readonly host: string | null; readonly pid: number | null } {
  const parts = token.split(':');
  if (parts.length < 3) return { host: null, pid: null };
  const pid = Number(parts.at(-2));
  return { host: parts.slice(0, -2).join(':'), pid: Number.isInteger(pid) ? pid : null };
}
