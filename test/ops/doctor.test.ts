import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { CLI, freePort } from '../helpers/process.js';
import { exitCodeOf, fail, formatReport, ok, versionOf } from '../../dist/ops/doctor-report.js';
import { TestSmsc } from '../peers/smsc.js';
import { EslPeer } from '../peers/esl.js';
import { TestSmtp } from '../peers/smtp.js';
import { startKannel } from '../peers/kannel.js';
import { TestMmsc } from '../peers/mmsc.js';
import { createServer } from 'node:http';

describe('the doctor report', () => {
  it('prints one line per check, ok or FAIL with its fix, names aligned, and a total', () => {
    const report = formatReport([ok('ffmpeg', 'ffmpeg 6.1'), fail('data dir', '/var/lib/x: cannot write (EACCES)', 'chown it\nto switchpost')]);
    expect(report.split('\n')).toEqual(['ok    ffmpeg    ffmpeg 6.1', 'FAIL  data dir  /var/lib/x: cannot write (EACCES)  → fix: chown it to switchpost', '1 of 2 checks failed']);
    expect(
      formatReport([ok('a', 'b')])
        .split('\n')
        .at(-1),
    ).toBe('all 1 checks passed');
  });
  it('exits 1 on any failure, 0 when all passed', () => {
    expect(exitCodeOf([ok('a', ''), ok('b', '')])).toBe(0);
    expect(exitCodeOf([ok('a', ''), fail('b', '', '')])).toBe(1);
  });
  it('reads versions from what the tools print', () => {
    expect(versionOf('ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024')).toBe('5.1.6-0+deb12u1');
    expect(versionOf('10.00.0\n')).toBe('10.00.0');
    expect(versionOf('LibreOffice 7.4.7.2 40(Build:2)')).toBe('7.4.7.2');
    expect(versionOf('eSpeak NG text-to-speech: 1.51  Data at: /usr/lib/x86_64-linux-gnu/espeak-ng-data')).toBe('1.51');
    expect(versionOf('tiff2pdf: unknown option\nLIBTIFF, Version 4.5.0\nCopyright (c) 1988-1996 Sam Leffler')).toBe('4.5.0');
    expect(versionOf('usage: nothing here')).toBeNull();
  });
});

describe('switchpost doctor', () => {
  let dir: string;
  let smsc: TestSmsc;
  let esl: EslPeer;
  let smtp: TestSmtp;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchpost-doctor-'));
    smsc = new TestSmsc({ password: 'secret', record: false });
    await smsc.listen();
    esl = new EslPeer({ password: 'Esl-doctor-secret' });
    await esl.listen();
    smtp = new TestSmtp({ users: { relay: 'relay-secret' } });
    await smtp.listen();
  });
  afterAll(async () => {
    await smsc?.close();
    await esl?.close();
    await smtp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The CLI to completion, without blocking this process's loop (the peers answer it from here). */
  const doctor = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'doctor', '--timeout-ms', '3000'], { env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('checks every provider for real — bound and unbound, authenticated, or refused with a fix — and exits 1 when one fails', async () => {
    const closed = await freePort();
    const config = join(dir, 'switchpost.json');
    const data = join(dir, 'data');
    const sms = (name: string, password: string) => ({ name, driver: 'smpp', services: ['sms'], host: '127.0.0.1', port: smsc.port, username: name, password });
    writeFileSync(
      config,
      JSON.stringify({
        data_dir: data,
        providers: [
          sms('smsc-good', 'secret'),
          sms('smsc-bad', 'wrong'),
          { name: 'fs-good', driver: 'freeswitch', services: ['voice'], host: '127.0.0.1', port: esl.port, password: 'Esl-doctor-secret' },
          { name: 'fs-bad', driver: 'freeswitch', services: ['voice'], host: '127.0.0.1', port: esl.port, password: 'not-it' },
          { name: 'mail', driver: 'smtp', services: ['email'], host: '127.0.0.1', port: smtp.port, username: 'relay', password: 'relay-secret', settings: { security: 'none' } },
          { name: 'mail-bad', driver: 'smtp', services: ['email'], host: '127.0.0.1', port: smtp.port, username: 'relay', password: 'nope', settings: { security: 'none' } },
          { name: 'kannel', driver: 'kannel', services: ['sms'], host: '127.0.0.1', port: closed, username: 'switchpost', password: 'x' },
          { name: 'off', driver: 'smpp', services: ['sms'], host: '127.0.0.1', port: closed, username: 'off', active: false },
        ],
      }),
    );
    // A PATH that has every tool but tiff2pdf: that one fails with the package to install.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const t of ['ffmpeg', 'gs', 'soffice', 'espeak-ng']) symlinkSync(`/usr/bin/${t}`, join(bin, t));
    const env = { SWITCHPOST_CONFIG: config, PATH: bin };
    const migrated = spawn(process.execPath, [CLI, 'migrate'], { env: { ...process.env, ...env } });
    await new Promise((r) => migrated.on('close', r));

    const r = await doctor(env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.slice(6).startsWith(`${name} `)) ?? `(no line for ${name})\n${r.stdout}`;
    expect(line('ffmpeg')).toMatch(/^ok {4}ffmpeg +ffmpeg \d+\.\d+/);
    expect(line('tiff2pdf')).toMatch(/^FAIL {2}tiff2pdf +tiff2pdf not found on PATH {2}→ fix: apt-get install libtiff-tools/);
    expect(line('data dir')).toMatch(new RegExp(`^ok {4}data dir +${data} writable, \\d+ MB free$`));
    expect(line('store')).toMatch(/^ok {4}store +.*opens, schema \d+ \(current\)$/);
    expect(line('provider smsc-good (smpp)')).toMatch(/^ok .*bind_transceiver as smsc-good accepted, unbound$/);
    expect(line('provider smsc-bad (smpp)')).toMatch(/^FAIL .*bind_transceiver refused \(ESME_RINVPASWD\) {2}→ fix: check username \(system_id\), password/);
    expect(line('provider fs-good (freeswitch)')).toMatch(/^ok .*event socket authenticated$/);
    expect(line('provider fs-bad (freeswitch)')).toMatch(/^FAIL .*refused the password {2}→ fix: set the provider password/);
    expect(line('provider mail (smtp)')).toMatch(/^ok .*EHLO, AUTH as relay accepted$/);
    expect(line('provider mail-bad (smtp)')).toMatch(/^FAIL .*EAUTH.*→ fix: check the provider username and password/);
    expect(line('provider kannel (kannel)')).toMatch(/^FAIL .*ECONNREFUSED {2}→ fix: check host and sendsms-port/);
    // An inactive provider is not checked.
    expect(r.stdout).not.toContain('provider off');
    // 5 tools, the data dir, the store, 7 active providers; LibreOffice's soffice (a shell script) may
    // itself fail on this narrow PATH, so the total counts the FAIL lines printed.
    const failed = r.stdout.split('\n').filter((l) => l.startsWith('FAIL')).length;
    expect(failed).toBeGreaterThanOrEqual(5);
    expect(r.stdout.trim().split('\n').at(-1)).toBe(`${failed} of 14 checks failed`);
    // The good bind was unbound, the SMSC holds no session for it.
    expect(smsc.binds.filter((b: { system_id: string; status: number }) => b.system_id === 'smsc-good' && b.status === 0)).toHaveLength(1);
    expect(smsc.unbinds).toBe(1);
  });

  it("checks a Kannel provider's sendsms-user against a real smsbox: the right one answered, a wrong one refused with a fix", async () => {
    const kannelSmsc = new TestSmsc({ record: false });
    const kannel = await startKannel({ smscPort: await kannelSmsc.listen(), moUrl: 'http://127.0.0.1:9/mo?text=%b' });
    try {
      const config = join(dir, 'kannel.json');
      const data = join(dir, 'kannel-data');
      const k = (name: string, password: string) => ({ name, driver: 'kannel', services: ['sms'], host: '127.0.0.1', port: kannel.sendsmsPort, username: 'switchpost', password });
      writeFileSync(config, JSON.stringify({ data_dir: data, providers: [k('kannel-good', 'kannel-secret'), k('kannel-bad', 'wrong')] }));
      const migrated = spawn(process.execPath, [CLI, 'migrate'], { env: { ...process.env, SWITCHPOST_CONFIG: config } });
      await new Promise((r) => migrated.on('close', r));
      const r = await doctor({ SWITCHPOST_CONFIG: config });
      expect(r.stdout).toMatch(/^ok {4}provider kannel-good \(kannel\) +http:\/\/127\.0\.0\.1:\d+\/cgi-bin\/sendsms: smsbox answered \((?!40[13])\d+/m);
      expect(r.stdout).toMatch(/^FAIL {2}provider kannel-bad \(kannel\) +.*: 403 .*→ fix: set the provider username and password to a sendsms-user/m);
      // Nothing was sent: no receiver was named.
      expect(kannelSmsc.submitCount ?? 0).toBe(0);
    } finally {
      await kannel.stop();
      await kannelSmsc.close();
    }
  });

  it('checks an MM7 provider with a CancelReq for no message: the right account answered, wrong credentials, VASP id, path or port each failed with a fix, nothing sent', async () => {
    const mmsc = new TestMmsc({ auth: 'vasp:mm7-secret-1', vaspId: 'VASP1' });
    await mmsc.listen();
    // An HTTP server that is no MMSC (a wrong path or port lands on such): 404 with a page.
    const web = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not Found</body></html>'));
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    const webPort = (web.address() as { port: number }).port;
    try {
      const config = join(dir, 'mm7.json');
      const m = (name: string, port: number, username: string | null, password: string | null, vasp: string) => ({ name, driver: 'mm7', services: ['mms'], host: '127.0.0.1', port, username, password, settings: { vasp_id: vasp, path: '/mm7' } });
      const closed = await freePort();
      writeFileSync(
        config,
        JSON.stringify({
          data_dir: join(dir, 'mm7-data'),
          providers: [
            m('mm7-good', mmsc.port, 'vasp', 'mm7-secret-1', 'VASP1'),
            m('mm7-badpass', mmsc.port, 'vasp', 'wrong', 'VASP1'),
            m('mm7-nouser', mmsc.port, null, null, 'VASP1'),
            m('mm7-badvasp', mmsc.port, 'vasp', 'mm7-secret-1', 'OTHER'),
            m('mm7-web', webPort, 'vasp', 'mm7-secret-1', 'VASP1'),
            m('mm7-down', closed, 'vasp', 'mm7-secret-1', 'VASP1'),
          ],
        }),
      );
      const migrated = spawn(process.execPath, [CLI, 'migrate'], { env: { ...process.env, SWITCHPOST_CONFIG: config } });
      await new Promise((r) => migrated.on('close', r));
      const r = await doctor({ SWITCHPOST_CONFIG: config });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const line = (name: string) => r.stdout.split('\n').find((l) => l.slice(6).startsWith(`provider ${name} (mm7) `)) ?? `(no line for ${name})\n${r.stdout}`;
      expect(line('mm7-good')).toMatch(/^ok {4}provider mm7-good \(mm7\) +http:\/\/127\.0\.0\.1:\d+\/mm7: MMSC answered a CancelReq for no message as vasp \(StatusCode 2005 Message ID Not found\); nothing sent$/);
      expect(line('mm7-badpass')).toMatch(/^FAIL .*: HTTP 401 {2}→ fix: set the provider username and password to the MM7 \(VASP\) account's/);
      expect(line('mm7-nouser')).toMatch(/^FAIL .*: HTTP 401 \(no username set: no Authorization sent\) {2}→ fix: set the provider username and password/);
      expect(line('mm7-badvasp')).toMatch(/^FAIL .*CancelReq as vasp refused, StatusCode 4001 Improper identification {2}→ fix: check settings\.vasp_id and settings\.vas_id/);
      expect(line('mm7-web')).toMatch(/^FAIL .*: HTTP 404, not an MM7 answer \(.*\) {2}→ fix: check settings\.path/);
      expect(line('mm7-down')).toMatch(/^FAIL .*ECONNREFUSED.* {2}→ fix: check host, port, settings\.tls and settings\.path/);
      // What reached the MMSC: CancelReqs naming the doctor's own message ids and the provider's VASPID; no SubmitReq.
      expect(mmsc.submitCount).toBe(0);
      expect(mmsc.cancels.map((c: { vaspId: string }) => c.vaspId).sort()).toEqual(['OTHER', 'VASP1']);
      for (const c of mmsc.cancels as { messageId: string; envelope: { transactionId: string; mustUnderstand: string; namespace: string } }[]) {
        expect(c.messageId).toMatch(/^switchpost-doctor-[0-9a-f-]{36}$/);
        expect(c.envelope).toMatchObject({ transactionId: expect.stringMatching(/^doctor-/), mustUnderstand: '1', namespace: 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4' });
      }
      expect(mmsc.unauthorised).toBe(2);
    } finally {
      await mmsc.close();
      await new Promise((r) => web.close(r));
    }
  });

  it('fails the store and names the fix when the database is missing, and the data dir when it is not there', async () => {
    const config = join(dir, 'missing.json');
    writeFileSync(config, JSON.stringify({ data_dir: join(dir, 'nowhere') }));
    const r = await doctor({ SWITCHPOST_CONFIG: config });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}data dir +.*nowhere does not exist {2}→ fix: mkdir -p /m);
    expect(r.stdout).toMatch(/^FAIL {2}store +.*switchpost\.db does not exist yet {2}→ fix: run switchpost migrate/m);
  });
});
