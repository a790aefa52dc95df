import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { realPath } from './trunk-dir.js';
import type { FreeswitchSettings } from './settings.js';

type Trunk = NonNullable<FreeswitchSettings['trunk']>;

/** XML attribute text: every character that could end the attribute or the element escaped. */
const attr = (v: string): string =>
  v
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;')
    .replace(/[\r\n\t]/g, ' ');

/** A sofia gateway definition for a provider's trunk (FreeSWITCH's sip_profiles/<profile>/<name>.xml). */
export function gatewayXml(name: string, t: Trunk): string {
  const params: [string, string][] = [['realm', t.realm]];
  if (t.proxy) params.push(['proxy', t.proxy]);
  if (t.username !== null) params.push(['username', t.username]);
  if (t.password !== null) params.push(['password', t.password]);
  params.push(['register', String(t.register)], ['caller-id-in-from', String(t.caller_id_in_from)]);
  return [
    "<!-- Written by switchpost from the provider's settings.trunk; edits here are overwritten. -->",
    '<include>',
    `  <gateway name="${attr(name)}">`,
    ...params.map(([k, v]) => `    <param name="${k}" value="${attr(v)}"/>`),
    '  </gateway>',
    '</include>',
    '',
  ].join('\n');
}

/** Write the file if it changed; returns whether FreeSWITCH must reload the gateway. */
export function writeGateway(name: string, t: Trunk): boolean {
  if (!t.gateway_dir) throw new Error('the trunk has no gateway_dir');
  // The directory was checked (and its links resolved) when the gateway was built; a link put in its
  // path since would lead the write elsewhere: it must still be its own real path, before and after mkdir.
  const dir = t.gateway_dir;
  const unmoved = () => {
    if (realPath(dir) !== resolve(dir)) throw new Error(`${dir} leads elsewhere through a symbolic link made since it was checked; not written`);
  };
  unmoved();
  mkdirSync(dir, { recursive: true });
  unmoved();
  const file = join(t.gateway_dir, `switchpost-${name}.xml`);
  const xml = gatewayXml(name, t);
  if (existsSync(file) && readFileSync(file, 'utf8') === xml) return false;
  const tmp = `${file}.tmp`;
  // A new file, never through a link left at the temporary name.
  rmSync(tmp, { force: true });
  writeFileSync(tmp, xml, { mode: 0o640, flag: 'wx' });
  renameSync(tmp, file);
  return true;
}
