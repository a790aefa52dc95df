import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import smpp from 'smpp';
import type { ProviderEntry } from '../gateways/gateway.js';
import { smppConfig } from '../gateways/smpp/settings.js';
import { statusName } from '../gateways/smpp/status.js';
import { fail, ok, type CheckResult } from './doctor-report.js';

/**
 * An SMPP provider: connect (TLS when its settings say), bind as the gateway would (transceiver, or
 * transmitter for a transmitter_receiver pair), then unbind and close. A bind the SMSC refuses names
 * its status (ESME_RINVPASWD…); no answer within `timeoutMs` fails as unreachable.
 */
export function checkSmpp(name: string, p: ProviderEntry, timeoutMs: number): Promise<CheckResult> {
  const { endpoint, settings } = smppConfig(p);
  const where = `${endpoint.host}:${endpoint.port}${settings.tls ? ' (TLS)' : ''}`;
  const mode = settings.bind === 'transceiver' ? 'transceiver' : 'transmitter';
  return new Promise((resolve) => {
    let settled = false;
    const socket = settings.tls
      ? tls.connect({ host: endpoint.host, port: endpoint.port, servername: net.isIP(endpoint.host) ? undefined : endpoint.host, ...(settings.tls_ca_file ? { ca: readFileSync(settings.tls_ca_file) } : {}) })
      : net.connect({ host: endpoint.host, port: endpoint.port });
    const session = new smpp.Session({ socket });
    const done = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done(fail(name, `no bind answer from ${where} within ${timeoutMs} ms`, `check host, port and firewall, and that the SMSC listens${settings.tls ? ' for TLS' : ''}`)), timeoutMs);
    const failed = (err: Error) => done(fail(name, `${where}: ${err.message}`, 'check host and port, and that the SMSC is up and lets this address connect'));
    session.on('error', failed);
    socket.on('error', failed);
    socket.once(settings.tls ? 'secureConnect' : 'connect', () => {
      session.send(new smpp.PDU(`bind_${mode}`, { system_id: endpoint.systemId, password: endpoint.password, system_type: settings.system_type, interface_version: 0x34 }), (resp) => {
        if (resp.command_status !== 0) {
          const status = statusName(resp.command_status);
          return done(fail(name, `${where}: bind_${mode} refused (${status})`, /PASWD|SYSID|BINDFAIL/.test(status) ? 'check username (system_id), password and system_type with the SMSC operator' : 'ask the SMSC operator why the bind is refused'));
        }
        // Bound: unbind politely, so that the SMSC does not hold a session for a check.
        session.send(new smpp.PDU('unbind'), () => done(ok(name, `${where}: bind_${mode} as ${endpoint.systemId} accepted, unbound`)));
      });
    });
  });
}
