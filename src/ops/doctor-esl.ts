import esl from 'modesl';
import type { ProviderEntry } from '../gateways/gateway.js';
import { freeswitchEndpoint } from '../gateways/registry.js';
import { fail, ok, type CheckResult } from './doctor-report.js';

/**
 * A FreeSWITCH provider: connect to its event socket and authenticate (modesl's `auth` on the greeting);
 * `esl::ready` is the password accepted. Nothing is subscribed, nothing is run; the socket closes.
 */
export function checkEsl(name: string, p: ProviderEntry, timeoutMs: number): Promise<CheckResult> {
  const e = freeswitchEndpoint(p);
  const where = `${e.host}:${e.port}`;
  return new Promise((resolve) => {
    let settled = false;
    const conn = new esl.Connection(e.host, e.port, e.password);
    const done = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      conn.removeAllListeners();
      // An error after this (the socket closing under us) has nobody to tell.
      conn.on('error', () => undefined);
      conn.socket?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done(fail(name, `no event socket greeting or auth answer from ${where} within ${timeoutMs} ms`, 'check host and port, and that mod_event_socket listens there (event_socket.conf.xml listen-ip)')), timeoutMs);
    conn.on('esl::ready', () => done(ok(name, `${where}: event socket authenticated`)));
    conn.on('esl::event::auth::fail', () => done(fail(name, `${where}: the event socket refused the password`, 'set the provider password to event_socket.conf.xml\'s "password" param')));
    conn.on('error', (err: Error) => done(fail(name, `${where}: ${err.message}`, 'check host and port, and that FreeSWITCH runs with mod_event_socket (and its apply-inbound-acl lets this address in)')));
    conn.on('esl::end', () => done(fail(name, `${where}: the event socket closed before authenticating`, 'check the event socket ACL (apply-inbound-acl) lets this address in')));
  });
}
