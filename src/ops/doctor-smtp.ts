import { createTransport } from 'nodemailer';
import type { ProviderEntry } from '../gateways/gateway.js';
import { relayConnection, smtpConfig } from '../gateways/smtp/settings.js';
import { fail, ok, type CheckResult } from './doctor-report.js';

/**
 * An SMTP relay: nodemailer's verify() — connect, EHLO, STARTTLS or TLS as the settings say, AUTH when
 * the provider has a username — on one connection of its own (not the gateway's pool). Nothing is sent.
 */
export async function checkSmtp(name: string, p: ProviderEntry, timeoutMs: number): Promise<CheckResult> {
  const { endpoint: e, settings: s } = smtpConfig(p);
  const where = `${e.host}:${e.port} (${s.security})`;
  const transport = createTransport({
    ...relayConnection(e, s),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await transport.verify();
    return ok(name, `${where}: EHLO${s.security === 'none' ? '' : ', TLS'}${e.username ? `, AUTH as ${e.username}` : ''} accepted`);
  } catch (err) {
    const x = err as Error & { code?: string; responseCode?: number };
    const detail = `${where}: ${x.code ? `${x.code}: ` : ''}${x.message}`;
    if (x.code === 'EAUTH') return fail(name, detail, 'check the provider username and password (and auth_method) with the relay');
    if (x.code === 'ETLS' || /certificate|self.signed|TLS/i.test(x.message)) return fail(name, detail, 'check the relay certificate: tls_ca_file for a private CA, tls_servername when the host is an address, or security');
    return fail(name, detail, 'check host, port and security (starttls 587, tls 465, none 25), and that the relay lets this address connect');
  } finally {
    transport.close();
  }
}
