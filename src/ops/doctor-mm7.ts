import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ProviderEntry } from '../gateways/gateway.js';
import { mm7Config, mm7Headers, mm7Url } from '../gateways/mm7/settings.js';
import { cancelReq, Mm7ParseError, parseMm7, statusOf } from '../gateways/mm7/soap.js';
import { HttpFailure, request } from '../gateways/mm7/http.js';
import { MM7_STATUS_TEXT } from '../gateways/mm7/status.js';
import { fail, ok, type CheckResult } from './doctor-report.js';

/** StatusCodes that say the MMSC does not take us as the VASP we claim: the settings' ids or what the operator allows. */
const IDENTITY = new Set([2001, 4001, 4007, 4008]);

/**
 * An MM7 provider: a CancelReq, with the provider's Basic auth and SenderIdentification, for a
 * MessageID no message has (`switchpost-doctor-<uuid>`). MM7 has no ping, and a CancelReq is the one
 * request a VASP makes that sends nothing: the MMSC checks who asks, finds nothing to cancel and
 * answers 2005 (Message ID Not found), or 4003 when it does not do Cancel — either says it is there
 * and took us. HTTP 401/403 is the credentials, 4001/4007/… the VASP's identity, 4002 the MM7 release;
 * an answer that is no MM7 envelope is the path.
 */
export async function checkMm7(name: string, p: ProviderEntry, timeoutMs: number): Promise<CheckResult> {
  const { endpoint: e, settings: s } = mm7Config(p);
  const url = mm7Url(e, s);
  const where = url.href;
  // An agent of its own, closed after: the check holds no socket open.
  const agent = s.tls ? new https.Agent({ keepAlive: false, ...(s.tls_ca_file ? { ca: readFileSync(s.tls_ca_file) } : {}) }) : new http.Agent({ keepAlive: false });
  const transactionId = `doctor-${randomUUID()}`;
  const body = Buffer.from(cancelReq({ version: s.version, namespace: s.namespace }, { transactionId, vaspId: s.vasp_id, vasId: s.vas_id, messageId: `switchpost-doctor-${randomUUID()}` }));
  let answer;
  try {
    answer = await request(agent, url, 'POST', mm7Headers(e, 'text/xml; charset=utf-8'), body, timeoutMs);
  } catch (err) {
    const why = err instanceof HttpFailure ? err.message : String(err);
    if (/certificate|self.signed|TLS|SSL/i.test(why)) return fail(name, `${where}: ${why}`, "check the MMSC's certificate: settings.tls_ca_file for a private CA, or settings.tls");
    return fail(name, `${where}: ${why}`, 'check host, port, settings.tls and settings.path, and that the MMSC lets this address connect (operators allow-list VASP addresses)');
  } finally {
    agent.destroy();
  }
  const as = e.username !== null ? ` as ${e.username}` : '';
  if (answer.status === 401 || answer.status === 403)
    return fail(name, `${where}: HTTP ${answer.status}${e.username === null ? ' (no username set: no Authorization sent)' : ''}`, "set the provider username and password to the MM7 (VASP) account's the operator gave");
  let st;
  let kind: string;
  try {
    const m = parseMm7(answer.body);
    kind = m.kind;
    st = statusOf(m);
  } catch (err) {
    if (!(err instanceof Mm7ParseError)) throw err;
    return fail(name, `${where}: HTTP ${answer.status}, not an MM7 answer (${err.message})`, 'check settings.path (the MM7 URL the operator gave) and the port');
  }
  if (!st) return fail(name, `${where}: HTTP ${answer.status}, a ${kind} without a StatusCode`, 'check settings.path: this is not an MM7 endpoint');
  const said = `StatusCode ${st.code} ${st.text?.trim() || MM7_STATUS_TEXT[st.code] || ''}`.trim();
  if (IDENTITY.has(st.code)) return fail(name, `${where}: CancelReq${as} refused, ${said}`, 'check settings.vasp_id and settings.vas_id with the operator, and that the account may use MM7');
  if (st.code === 4002) return fail(name, `${where}: ${said}`, 'set settings.version and settings.namespace to the MM7 release the MMSC speaks (e.g. 5.3.0 with …/REL-5-MM7-1-2)');
  return ok(name, `${where}: MMSC answered a CancelReq for no message${as} (${said}); nothing sent`);
}
