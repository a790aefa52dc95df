import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, cli, freePort, killAll, startProcess } from '../helpers/process.js';
import { basic } from '../helpers/daemon.js';
import { progressText } from '../../dist/ops/progress-text.js';
import { importSummary, rejectedLines, REJECTED_SHOWN } from '../../dist/ops/contact-import.js';

/**
 * `switchpost import` against a running daemon on a real data directory: the file is read as ICTCore's
 * POST /groups/{id}/csv reads it (the same rows stored, the same rows rejected on the same lines), and
 * what it stores is at once the daemon's (the faces list it, a v1 job sends to it).
 */
let dir: string;
let env: Record<string, string>;
let url: string;
let token: string;
const PASSWORD = 'alice-password-1';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'switchpost-import-'));
  env = { SWITCHPOST_DATA_DIR: join(dir, 'data'), SWITCHPOST_HTTP_PORT: String(await freePort()), SWITCHPOST_LOG_LEVEL: 'warn' };
  for (const code of ['alice', 'bob']) expect(cli(['user', 'add', code, '--password', PASSWORD], env).status).toBe(0);
  url = (await startProcess(env)).url;
  const auth = await fetch(`${url}/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: PASSWORD }) });
  token = ((await auth.json()) as { token: string }).token;
}, 60_000);
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

const ict = async (method: string, path: string, body?: string) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': method === 'POST' && path.endsWith('/csv') ? 'text/csv' : 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  return { status: res.status, json: (await res.json()) as unknown };
};
type Contact = Record<string, string | null>;
const contactsOf = async (group: number) =>
  ((await ict('GET', `/groups/${group}/contacts`)).json as Contact[]).map(({ first_name, last_name, phone, mobile, email, reference, custom1 }) => ({ first_name, last_name, phone, mobile, email, reference, custom1 }));
const groupNamed = async (name: string) => ((await ict('GET', '/groups')).json as { group_id: number; name: string }[]).find((g) => g.name === name);
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

// The v1 seed's list columns, a quoted comma, a row with a bad mobile (line 4), an empty line, a row with an e-mail only.
const CSV = 'Recipient,Reference,Mobile,Email,CustomField1\n"Smith, Jane",ref-1,+61491574703,jane@example.com,gold\nJohn,ref-2,+61491574712,,\nBad,ref-3,12ab,,\n\nMail Only,ref-4,,mail@example.com,\n';

describe('switchpost import beside the running daemon', () => {
  it('stores what the face stores, reports the rows it rejects by line, prints only its summary into a pipe', async () => {
    const f = file('contacts.csv', CSV);
    const r = cli(['import', f, '--user', 'alice', '--list', 'customers'], env);
    // Some rows rejected: exit 2, the rejected ones on stderr, the summary alone on stdout, no progress line.
    expect(r.status, r.stderr).toBe(2);
    const group = await groupNamed('customers');
    expect(group).toBeDefined();
    expect(r.stdout).toBe(`imported 3 contacts into list ${group!.group_id} "customers" of alice (a new list); 1 row rejected\n`);
    expect(r.stderr).toMatch(new RegExp(`^${f}: line 4: mobile: .+\\n$`));

    // The same file uploaded through ICTCore's face: the same contacts, the same line rejected for the same reason.
    const viaFace = (await ict('POST', '/groups', JSON.stringify({ name: 'uploaded' }))).json as number;
    const up = (await ict('POST', `/groups/${viaFace}/csv`, CSV)).json as { imported: number; rejected: { line: number; error: string }[] };
    expect(up.imported).toBe(3);
    expect(up.rejected.map((x) => `${f}: line ${x.line}: ${x.error}\n`).join('')).toBe(r.stderr);
    const stored = await contactsOf(group!.group_id);
    expect(stored).toEqual(await contactsOf(viaFace));
    expect(stored).toEqual([
      { first_name: 'Smith, Jane', last_name: null, phone: null, mobile: '+61491574703', email: 'jane@example.com', reference: 'ref-1', custom1: 'gold' },
      { first_name: 'John', last_name: null, phone: null, mobile: '+61491574712', email: null, reference: 'ref-2', custom1: null },
      { first_name: 'Mail Only', last_name: null, phone: null, mobile: null, email: 'mail@example.com', reference: 'ref-4', custom1: null },
    ]);

    // A v1 job to the list (user_list_ids) sends to its contacts' mobiles.
    const job = await fetch(`${url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: basic('alice', PASSWORD), 'content-type': 'application/json' },
      body: JSON.stringify({ job_type: 'sms', message: 'Hi %%recipient%%', user_list_ids: [group!.group_id] }),
    });
    expect(job.status).toBe(200);
    const id = ((await job.json()) as { data: number }).data;
    const report = await fetch(`${url}/api/v1/jobs/${id}`, { headers: { authorization: basic('alice', PASSWORD) } });
    const reports = ((await report.json()) as { data: { reports: { destination: string }[] } }).data.reports;
    expect(reports.map((x) => x.destination)).toEqual(['+61491574703', '+61491574712']);

    // Again into the same list, by its id: added to it, no new list.
    const again = cli(['import', f, '--user', 'alice', '--list', String(group!.group_id)], env);
    expect(again.stdout).toBe(`imported 3 contacts into list ${group!.group_id} "customers" of alice; 1 row rejected\n`);
    expect(await contactsOf(group!.group_id)).toHaveLength(6);
  });

  it('stores nothing, not even the new list, from a file the face refuses, and says why with the line', async () => {
    const repeated = cli(['import', file('repeated.csv', 'phone,Phone\n+61491574703,+61491574704\n'), '--user', 'alice', '--list', 'refused'], env);
    expect(repeated.status).toBe(1);
    expect(repeated.stdout).toBe('');
    expect(repeated.stderr).toMatch(/^switchpost: .*repeated\.csv: header: "Phone" repeats the column phone; nothing was imported\n$/);
    const wide = cli(['import', file('wide.csv', 'phone,first_name\n+61491574703,Ann\n+61491574704,Ben,extra\n'), '--user', 'alice', '--list', 'refused'], env);
    expect(wide.status).toBe(1);
    expect(wide.stderr).toMatch(/wide\.csv: csv: line 3 has 3 fields, the header 2; nothing was imported\n$/);
    const broken = cli(['import', file('broken.csv', 'phone,first_name\n+61491574703,"Ann\n'), '--user', 'alice', '--list', 'refused'], env);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(/broken\.csv: csv: Quote Not Closed.*line 2.*; nothing was imported\n$/);
    expect(await groupNamed('refused')).toBeUndefined();

    // Another user's list, an unknown user, a missing file: refused before anything is read.
    const bobs = cli(['import', file('ok.csv', 'phone\n+61491574703\n'), '--user', 'bob', '--list', 'bobs'], env);
    expect(bobs.status, bobs.stderr).toBe(0);
    const bobList = Number(/into list (\d+)/.exec(bobs.stdout)![1]);
    expect(cli(['import', join(dir, 'ok.csv'), '--user', 'alice', '--list', String(bobList)], env).stderr).toBe(`switchpost: --list: alice has no list ${bobList}\n`);
    expect(cli(['import', join(dir, 'ok.csv'), '--user', 'carol', '--list', 'x'], env).stderr).toBe('switchpost: --user: no user "carol"\n');
    expect(cli(['import', join(dir, 'missing.csv'), '--user', 'alice', '--list', 'x'], env).stderr).toBe(`switchpost: ${join(dir, 'missing.csv')}: no such file\n`);
  });

  it('a file of many steps goes in while the daemon keeps taking jobs', async () => {
    const n = 60_000; // three of the import's transactions
    const rows = Array.from({ length: n }, (_, i) => `Contact ${i},+614915${String(i).padStart(5, '0')}`);
    const f = file('big.csv', `first_name,mobile\n${rows.join('\n')}\n`);
    const run = new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'import', f, '--user', 'alice', '--list', 'big'], { env: { ...process.env, ...env } });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out }));
    });
    // Jobs submitted to the daemon while the CLI writes: every one taken.
    const statuses: number[] = [];
    const refused: string[] = [];
    let done = false;
    void run.then(() => (done = true));
    while (!done) {
      const r = await fetch(`${url}/api/v1/jobs`, {
        method: 'POST',
        headers: { authorization: basic('alice', PASSWORD), 'content-type': 'application/json' },
        body: JSON.stringify({ job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }] }),
      });
      statuses.push(r.status);
      if (r.status !== 200) refused.push(`${r.status} ${await r.text()}`);
      else await r.arrayBuffer();
    }
    const { code, out } = await run;
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^imported ${n} contacts into list \\d+ "big" of alice \\(a new list\\)\\n$`));
    expect(statuses.length).toBeGreaterThan(0);
    expect(refused).toEqual([]);
    const big = await groupNamed('big');
    expect(((await ict('GET', `/groups/${big!.group_id}`)).json as { contact_total: number }).contact_total).toBe(n);
  }, 120_000);

  it('shows its progress on a terminal', () => {
    const text = 'phone\n+61491574703\n+61491574704\n';
    const f = file('tty.csv', text);
    // Under a pseudo-terminal (util-linux script), as an operator at a shell would run it.
    const tty = spawnSync('script', ['-qec', [process.execPath, CLI, 'import', f, '--user', 'alice', '--list', 'tty'].map((a) => `'${a}'`).join(' '), '/dev/null'], { env: { ...process.env, ...env }, encoding: 'utf8' });
    expect(tty.status, tty.stderr).toBe(0);
    const shown = tty.stdout.replaceAll('\r\x1b[2K', '<erase>');
    expect(shown).toContain(`<erase>reading tty.csv  ${text.length}/${text.length} B  100%`);
    expect(shown).toContain('<erase>storing contacts  2/2  100%');
    expect(shown).toMatch(/<erase>imported 2 contacts into list \d+ "tty" of alice \(a new list\)/);
  });
});

describe('the texts', () => {
  it('reads a byte count in the unit of its total', () => {
    expect(progressText({ label: 'reading a.csv', done: 512, total: 900, elapsedMs: 100, unit: 'bytes' })).toBe('reading a.csv  512/900 B  56%  0.1 s');
    expect(progressText({ label: 'reading a.csv', done: 1_250_000, total: 5_000_000, elapsedMs: 1500, unit: 'bytes' })).toBe('reading a.csv  1.3/5.0 MB  25%  1.5 s');
    expect(progressText({ label: 'reading a.csv', done: 0, total: 2_000, elapsedMs: 0, unit: 'bytes' })).toBe('reading a.csv  0.0/2.0 kB  0%  0.0 s');
  });
  it('sums an import up, and lists its rejected rows at most REJECTED_SHOWN', () => {
    const r = { file: 'c.csv', user: 'alice', list: { id: 5, name: 'customers', created: false }, imported: 1, rejected: [{ line: 3, error: 'phone: too short to be a phone number' }] };
    expect(importSummary(r)).toBe('imported 1 contact into list 5 "customers" of alice; 1 row rejected');
    expect(importSummary({ ...r, imported: 0, rejected: [], list: { ...r.list, created: true } })).toBe('imported 0 contacts into list 5 "customers" of alice (a new list)');
    expect(rejectedLines(r)).toEqual(['c.csv: line 3: phone: too short to be a phone number']);
    const many = rejectedLines({ file: 'c.csv', rejected: Array.from({ length: REJECTED_SHOWN + 3 }, (_, i) => ({ line: i + 2, error: 'x' })) });
    expect(many).toHaveLength(REJECTED_SHOWN + 1);
    expect(many.at(-1)).toBe('c.csv: … and 3 more rejected row(s)');
  });
});
