/**
 * Every string the daemon sends to FreeSWITCH is built here, from validated values only. A value that
 * could end a variable list, start another, add an application or a second command (",", "}", "{",
 * "'", "|", "&", "^", newlines, spaces where not quoted…) is refused, never escaped and hoped for.
 */

import type { Catalogued } from '../../core/errors.js';

/** A number, dialstring or other value that cannot go into a FreeSWITCH command safely: refused (catalogued as validation), never escaped. */
export class DialError extends Error implements Catalogued {
  override name = 'DialError';
  readonly errorCode = 'validation';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const DIGITS = /^\+?[0-9]{3,20}$/;
// Caller id names: letters (any script), digits, space and a few marks; quoted in the variable list.
const CALLER_NAME = /^[\p{L}\p{N} ._-]{1,40}$/u;
// Files the daemon rendered or converted: absolute, no spaces, no traversal.
const FILE = /^\/[A-Za-z0-9_./-]{1,255}$/;

export const isUuid = (s: string): boolean => UUID.test(s);

export function checkUuid(uuid: string): string {
  if (!UUID.test(uuid)) throw new DialError(`not a call UUID: ${JSON.stringify(uuid).slice(0, 60)}`);
  return uuid.toLowerCase();
}

export function checkFile(path: string): string {
  if (!FILE.test(path) || path.includes('..')) throw new DialError(`unsafe file path: ${JSON.stringify(path).slice(0, 80)}`);
  return path;
}

/** The number as it is dialled: E.164 digits (no "+"), after the provider's prefix rule. */
export function dialNumber(e164: string, prefix: string | null): string {
  if (!DIGITS.test(e164)) throw new DialError(`not a dialable number: ${JSON.stringify(e164).slice(0, 40)}`);
  const digits = e164.replace(/^\+/, '');
  if (prefix === null || prefix === '') return digits;
  // "+61=0" replaces a leading country code; "9" prepends.
  const m = /^\+?(\d{1,4})=(\d{0,8})$/.exec(prefix);
  if (m) return digits.startsWith(m[1]!) ? m[2]! + digits.slice(m[1]!.length) : digits;
  if (!/^\d{1,8}$/.test(prefix)) throw new DialError(`provider prefix must be digits or "CC=replacement": ${prefix}`);
  return prefix + digits;
}

/** A provider's dialstring template with {gateway} and {number}, e.g. sofia/gateway/{gateway}/{number}. */
export function dialstring(template: string, gateway: string | null, number: string): string {
  if (!/^[A-Za-z0-9_./@:{}-]{1,200}$/.test(template) || !template.includes('{number}')) throw new DialError(`dialstring template must contain {number} and only A-Z a-z 0-9 _ . / @ : - {}: ${template}`);
  if (template.includes('{gateway}') && (gateway === null || !NAME.test(gateway))) throw new DialError('dialstring needs a gateway name of letters, digits, _ . -');
  if (!/^[0-9]{3,24}$/.test(number)) throw new DialError(`not a dialable number: ${number}`);
  const out = template.replaceAll('{gateway}', gateway ?? '').replaceAll('{number}', number);
  if (/[{}]/.test(out)) throw new DialError(`unknown placeholder in dialstring template: ${template}`);
  return out;
}

export interface OriginateSpec {
  uuid: string;
  dialstring: string;
  callerIdNumber: string | null;
  callerIdName: string | null;
  timeoutSeconds: number;
  ignoreEarlyMedia: boolean;
  /** Extra channel variables from provider settings (names and values checked like the rest). */
  variables?: Record<string, string | number | boolean>;
}

const VAR_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const VAR_VALUE = /^[A-Za-z0-9_.:@+/-]{0,200}$/;

/** `{origination_uuid=…,…}dialstring &park()`: the argument of bgapi originate. */
export function originateArg(spec: OriginateSpec): string {
  const vars: [string, string][] = [
    ['origination_uuid', checkUuid(spec.uuid)],
    ['originate_timeout', String(Math.max(1, Math.min(600, Math.round(spec.timeoutSeconds))))],
    ['ignore_early_media', spec.ignoreEarlyMedia ? 'true' : 'false'],
    ['hangup_after_bridge', 'true'],
  ];
  if (spec.callerIdNumber !== null) {
    if (!DIGITS.test(spec.callerIdNumber)) throw new DialError(`caller id number must be digits: ${JSON.stringify(spec.callerIdNumber).slice(0, 40)}`);
    vars.push(['origination_caller_id_number', spec.callerIdNumber.replace(/^\+/, '')]);
  }
  if (spec.callerIdName !== null) {
    if (!CALLER_NAME.test(spec.callerIdName)) throw new DialError('caller id name: letters, digits, space . _ - only (1-40)');
    vars.push(['origination_caller_id_name', `'${spec.callerIdName}'`]);
  }
  for (const [k, v] of Object.entries(spec.variables ?? {})) {
    const value = String(v);
    if (!VAR_NAME.test(k) || !VAR_VALUE.test(value)) throw new DialError(`channel variable ${k} has a name or value that is not allowed`);
    vars.push([k, value]);
  }
  if (!/^[A-Za-z0-9_./@:-]{1,220}$/.test(spec.dialstring)) throw new DialError('dialstring has characters that are not allowed');
  return `{${vars.map(([k, v]) => `${k}=${v}`).join(',')}}${spec.dialstring} &park()`;
}
