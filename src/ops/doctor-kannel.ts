import type { ProviderEntry } from '../gateways/gateway.js';
import { kannelConfig } from '../gateways/kannel/settings.js';
import { fail, ok, type CheckResult } from './doctor-report.js';

/**
 * A Kannel provider: smsbox's sendsms URL with the provider's sendsms-user and no receiver. smsbox
 * checks the user before the message, so 403 ("Authorization failed") says the credentials are wrong,
 * and any other answer (400 "Missing receiver number") that it is there and took them. Nothing is sent.
 */
export async function checkKannel(name: string, p: ProviderEntry, timeoutMs: number): Promise<CheckResult> {
  const { endpoint: e, settings: s } = kannelConfig(p);
  const base = `${s.tls ? 'https' : 'http'}://${e.host}:${e.port}${s.sendsms_path}`;
  try {
    const res = await fetch(`${base}?${new URLSearchParams({ username: e.username, password: e.password })}`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.text()).trim().slice(0, 100);
    if (res.status === 401 || res.status === 403) return fail(name, `${base}: ${res.status} ${body}`, "set the provider username and password to a sendsms-user group's in kannel.conf");
    if (res.status === 404) return fail(name, `${base}: 404`, 'check settings.sendsms_path and the port: smsbox serves sendsms on its sendsms-port');
    return ok(name, `${base}: smsbox answered (${res.status}${body ? ` ${body}` : ''})`);
  } catch (err) {
    const x = err as Error & { cause?: { code?: string } };
    const why = x.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (x.cause?.code ?? x.message);
    return fail(name, `${base}: ${why}`, 'check host and sendsms-port, and that smsbox runs (systemctl status kannel)');
  }
}
