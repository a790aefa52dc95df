import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

const office = (name: string) => readFileSync(join('test/fixtures/office', name)).toString('base64');
let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

const pdf = async () => {
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]).drawText('Fax', { x: 50, y: 750, size: 30, font: await doc.embedFont(StandardFonts.Helvetica) });
  return Buffer.from(await doc.save()).toString('base64');
};

describe('fax jobs on the v1 API', () => {
  it("converts a job's documents exactly once, whatever the number of recipients", async () => {
    d = await testDaemon();
    const u = d.addUser('f', 'user');
    const body = {
      job_type: 'fax',
      files: [
        { name: 'a.pdf', base64content: await pdf() },
        { name: 'b.txt', base64content: Buffer.from('notes').toString('base64') },
      ],
      recipients: Array.from({ length: 200 }, (_, i) => ({ destination: `+614915${String(70100 + i).padStart(5, '0')}` })),
    };
    const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body });
    expect(r.status).toBe(200);
    expect(readdirSync(join(d.dir, 'media', 'fax'))).toHaveLength(1);
    const again = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body }); // the same documents: no new conversion
    expect(again.status).toBe(200);
    expect(readdirSync(join(d.dir, 'media', 'fax'))).toHaveLength(1);
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(r.json.data) as { content: string }).content);
    expect(content).toMatchObject({ kind: 'fax', pages: 2, fine: false, fileNames: ['a.pdf', 'b.txt'] });
  });

  it('refuses corrupt, mistyped, unreadable or missing documents with 422 naming the file, storing no job', async () => {
    d = await testDaemon();
    const u = d.addUser('f', 'user');
    const job = (files: unknown) => ({ job_type: 'fax', files, recipients: [{ destination: '+61491570156' }] });
    const cases: [unknown, RegExp][] = [
      [[{ name: 'fake.pdf', base64content: Buffer.from('hello').toString('base64') }], /files: "fake\.pdf": its content is not a pdf file/],
      [[{ name: 'virus.exe', base64content: Buffer.from('MZ').toString('base64') }], /"virus\.exe": type \.exe is not supported/],
      [[{ name: 'bad.pdf', base64content: 'not base64!' }], /"bad\.pdf": base64content is not valid base64/],
      [[{ name: 'local.pdf', url: 'http://127.0.0.1:9/x.pdf' }], /"local\.pdf": could not be fetched/],
      [[], /files: at least one document/],
    ];
    for (const [files, pattern] of cases) {
      const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: job(files) });
      expect(r.status).toBe(422);
      expect(r.json.errors).toMatch(pattern);
    }
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
  });

  it("refuses documents over media.max_fax_mb, each and all of a job's together, storing no job", async () => {
    d = await testDaemon({ media: { max_fax_mb: 0.1 } });
    const u = d.addUser('f', 'user');
    const text = (kb: number) => Buffer.alloc(kb * 1024, 'fax notes\n').toString('base64');
    const job = (files: unknown) => ({ job_type: 'fax', files, recipients: [{ destination: '+61491570156' }] });
    const together = await d.api('POST', '/api/v1/jobs', {
      auth: u.auth,
      body: job([
        { name: 'a.txt', base64content: text(60) },
        { name: 'b.txt', base64content: text(60) },
      ]),
    });
    expect(together.status).toBe(422);
    expect(together.json.errors).toMatch(/the documents are larger than 0\.1 MB together/);
    const one = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: job([{ name: 'big.txt', base64content: text(120) }]) });
    expect(one.status).toBe(422);
    expect(one.json.errors).toMatch(/"big\.txt": larger than 104858 bytes/);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
  });

  it('takes office documents (LibreOffice listener) with the others, and refuses a password-protected one', async () => {
    d = await testDaemon();
    const u = d.addUser('f', 'user');
    const files = [
      { name: 'cover.pdf', base64content: await pdf() },
      { name: 'Letter.DOCX', base64content: office('letter.docx') },
      { name: 'rates.xls', base64content: office('sheet.xls') },
    ];
    const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'fax', use_high_resolution: true, files, recipients: [{ destination: '+61491570156' }] } });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(r.json.data) as { content: string }).content);
    expect(content).toMatchObject({ pages: 1 + 2 + 1, fine: true });
    const locked = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'fax', files: [{ name: 'locked.doc', base64content: office('locked.doc') }], recipients: [{ destination: '+61491570156' }] } });
    expect(locked.status).toBe(422);
    expect(locked.json.errors).toMatch(/"locked\.doc": could not be opened \(corrupt, encrypted/);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 1 });
  }, 60_000);
});

// A host where LibreOffice's network namespace cannot be made (here: a user namespace that may not
// nest another, as user.max_user_namespaces=0 does on a host). The daemon runs in it as a child.
const nestsUserNs = process.geteuid?.() === 0 && spawnSync('unshare', ['--user', '--map-root-user', 'true']).status === 0;
describe.skipIf(!nestsUserNs)('when LibreOffice cannot be started', () => {
  it('answers an office document 503 with Retry-After on the v1 and ICTCore faces, and stores nothing', () => {
    const inner = `echo 1 > /proc/sys/user/max_user_namespaces && exec unshare --user --map-user=1000 --map-group=1000 ${process.execPath} "$0"`;
    const r = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', inner, 'test/helpers/office-docx-daemon.mjs'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const said = /^(Service Unavailable: )?office documents cannot be converted now \(the converter is unavailable on this server\); nothing was stored, try again later$/;
    expect(out.v1).toMatchObject({ status: 503, retryAfter: '60', body: { status: 503 } });
    expect(out.v1.body.errors).toMatch(said);
    expect(out.ictcore).toMatchObject({ status: 503, retryAfter: '60', body: { error: { code: 503 } } });
    expect(out.ictcore.body.error.message).toMatch(said);
    expect(out.jobs).toBe(0);
    expect(out.documentType).not.toBe('docx'); // the upload was not kept
  }, 60_000);
});
