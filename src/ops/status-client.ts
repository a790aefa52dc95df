import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StatusSnapshot } from '../core/status.js';
import { ADMIN_STATUS_PATH } from './status-routes.js';

/** Where `switchpost status` asks, and with what: options first, then the environment, then the config. */
export interface StatusClientOptions {
  url?: string | undefined;
  token?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
}

export class StatusClientError extends Error {
  override name = 'StatusClientError';
}

/** The daemon's own URL from its config: a wildcard listen address is asked on loopback. */
export function daemonUrl(http: { host: string; port: number; tls: { cert_file: string | null; key_file: string | null } }): string {
  const host = http.host === '0.0.0.0' || http.host === '::' || http.host === '' ? '127.0.0.1' : http.host;
  const scheme = http.tls.cert_file && http.tls.key_file ? 'https' : 'http';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
}

/**
 * The Authorization header: a token (--token, $SWITCHPOST_ADMIN_TOKEN), else Basic for --user or
 * $SWITCHPOST_ADMIN_USER (default admin) with --password, $SWITCHPOST_ADMIN_PASSWORD or, for the
 * first admin, the password the daemon wrote to data_dir/initial-admin-password.
 */
export function authorizationOf(o: StatusClientOptions, env: NodeJS.ProcessEnv, dataDir: string): string {
  const token = o.token ?? env.SWITCHPOST_ADMIN_TOKEN;
  if (token) return `Bearer ${token}`;
  const user = o.user ?? env.SWITCHPOST_ADMIN_USER ?? 'admin';
  let password = o.password ?? env.SWITCHPOST_ADMIN_PASSWORD;
  if (password === undefined && user === 'admin') {
    try {
      password = readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').trim();
    } catch {
      // None written, or not ours to read: the refusal below says what to give.
    }
  }
  if (password === undefined) throw new StatusClientError(`no password for ${user}: give --password, $SWITCHPOST_ADMIN_PASSWORD or --token`);
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

/** GET /admin/status from the running daemon. */
export async function fetchStatus(baseUrl: string, authorization: string, timeoutMs = 10_000): Promise<StatusSnapshot> {
  let res: Response;
  try {
    res = await fetch(new URL(ADMIN_STATUS_PATH, baseUrl), { headers: { authorization, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new StatusClientError(`no answer from ${baseUrl}: ${(err as Error).message}; is the daemon running (--url)?`);
  }
  const body = (await res.json().catch(() => null)) as (StatusSnapshot & { error?: { message?: string } }) | null;
  if (res.status === 401) throw new StatusClientError(`${baseUrl} refused the credentials (give --user/--password or --token)`);
  if (res.status === 403) throw new StatusClientError('the status is for administrators: log in as one');
  if (!res.ok || !body) throw new StatusClientError(`${baseUrl}${ADMIN_STATUS_PATH} answered ${res.status}${body?.error?.message ? `: ${body.error.message}` : ''}`);
  return body;
}
