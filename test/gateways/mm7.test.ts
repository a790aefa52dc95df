import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { noisyJpeg } from '../helpers/mms-media.js';
import { TestMmsc } from '../peers/mmsc.js';

// The mm7 driver against a real MMSC peer (test/peers/mmsc.js: HTTP, mailparser, fast-xml-parser),
// through the daemon's real HTTP server: SubmitReq/SubmitRsp, DeliveryReportReq, DeliverReq.
const REL5 = 'http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-5-MM7-1-2';
let d: TestDaemon;
let mmsc: TestMmsc;
let cb: Awaited<ReturnType<typeof callbackReceiver>>;
let auth: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';

describe('mm7 driver: a v1 mms job to an MMSC', () => {
  beforeAll(async () => {
    mmsc = new TestMmsc({
      version: '5.3.0',
      namespace: REL5,
      auth: 'vasp:mmsc-secret',
      reportAuth: 'mmsc:inbound-secret-1',
      status: { '61491570158': 2004, '61491570160': 4006 },
      mmStatus: { '61491570157': 'Expired' },
      replies: { '61491570159': 'Lovely, thanks' },
    });
    const port = await mmsc.listen();
    d = await testDaemon({
      sandbox: { enabled: false },
      spool: { poll_ms: 20, retry: { tries: 2, backoff_seconds: 0.05, backoff_max_seconds: 0.1 } },
      email: { system_from: 'noreply@switchpost.test' },
      providers: [
        {
          name: 'mmsc-a',
          driver: 'mm7',
          services: ['mms'],
          host: '127.0.0.1',
          port,
          username: 'vasp',
          password: 'mmsc-secret',
          settings: { version: '5.3.0', namespace: REL5, vasp_id: 'VASP-7', vas_id: 'svc-12', sender_address: '12345', max_bytes: 200 * 1024, inbound_username: 'mmsc', inbound_password: 'inbound-secret-1', probe_ms: 200 },
        },
      ],
    });
    mmsc.opts.reportTo = `${d.url}/gateways/mm7/mmsc-a`;
    auth = d.addUser('alice', 'user').auth;
    cb = await callbackReceiver();
  }, 30_000);
  afterAll(async () => {
    await d?.close();
    await mmsc?.close();
    await cb?.close();
  });

  it('submits each recipient as the standard says, part by part, and reports each outcome the MMSC gives', async () => {
    const photo = await noisyJpeg(1600, 1200, 90);
    const r = await d.api('POST', '/api/v1/jobs', {
      auth,
      body: {
        job_type: 'mms',
        job_name: 'mm7 test',
        subject: 'For %%recipient%%',
        message: 'Hello %%recipient%% — here is the map',
        callback_url: cb.url,
        callback_on_sms_status_update: true,
        response_email_address: 'replies@example.com',
        files: [{ name: 'map.jpg', base64content: photo.toString('base64') }],
        recipients: [
          { destination: '+61491570156', recipient: 'Jane', reference: 'r1' },
          { destination: '+61491570157', recipient: 'Tom', reference: 'r2' },
          { destination: '+61491570158', recipient: 'Ann', reference: 'r3' },
          { destination: '+61491570159', recipient: 'Bo', reference: 'r4' },
          { destination: '+61491570160', recipient: 'Cy', reference: 'r5' },
        ],
      },
    });
    expect(r.status, r.text).toBe(200);
    const job = r.json.data as number;
    await d.waitFor(complete(job), 20_000);

    // The media was fitted once, within this provider's max_bytes (200 KB), and stored once.
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(job) as { content: string }).content);
    expect(content.maxBytes).toBe(200 * 1024);
    const stored = readFileSync(content.media[0].file);
    expect(stored.length).toBeLessThanOrEqual(200 * 1024 - 8 * 1024);
    expect(readdirSync(join(d.dir, 'media', 'mms'))).toHaveLength(1);

    // 4 recipients once, Cy twice (4006 Service unavailable is retried; the second try fails too: 2 tries).
    expect(mmsc.submits.map((s) => s.destination).sort()).toEqual(['61491570156', '61491570157', '61491570158', '61491570159', '61491570160', '61491570160']);
    const jane = mmsc.submits.find((s) => s.destination === '61491570156')!;
    const attempt = d.db.prepare('SELECT id, peer_id FROM attempts WHERE job_id = ? AND destination = ?').get(job, '+61491570156') as { id: number; peer_id: string };
    // HTTP: multipart/related with the SOAP part as its start, the MMSC's Basic auth, a SOAPAction.
    expect(jane.headers.authorization).toBe(`Basic ${Buffer.from('vasp:mmsc-secret').toString('base64')}`);
    expect(jane.headers.soapaction).toBe('""');
    expect(jane.contentType).toMatchObject({ value: 'multipart/related', params: { type: 'text/xml', start: '<mm7-soap>' } });
    expect(jane.soapPart.contentType).toBe('text/xml');
    // The envelope, field by field.
    const env = jane.envelope;
    expect(env.kind).toBe('SubmitReq');
    expect(env.namespace).toBe(REL5);
    expect(env.transactionId).toBe(`sp-${attempt.id}`);
    expect(env.mustUnderstand).toBe('1');
    expect(env.body.MM7Version).toBe('5.3.0');
    expect(env.body.SenderIdentification).toEqual({ VASPID: 'VASP-7', VASID: 'svc-12', SenderAddress: { ShortCode: '12345' } });
    expect(env.body.Recipients).toEqual({ To: { Number: '61491570156' } });
    expect(env.body.Subject).toBe('For Jane');
    expect(env.body.DeliveryReport).toBe('true');
    expect(env.body.Content).toEqual({ '@_href': 'cid:mm7-content', '@_allowAdaptations': 'true' });
    expect(Object.keys(env.body).filter((k) => !k.startsWith('@_'))).toEqual(['MM7Version', 'SenderIdentification', 'Recipients', 'DeliveryReport', 'Subject', 'Content']);
    // The parts: the SMIL, the merged text, the photo byte for byte as fitted.
    expect(jane.text.trim()).toBe('Hello Jane — here is the map');
    expect(jane.parts.map((p: { contentType: string }) => p.contentType)).toEqual(['application/smil', 'image/jpeg']);
    const smil = jane.parts[0].content.toString();
    expect(smil).toContain('<img src="cid:part1.jpeg"');
    expect(smil).toContain('<text src="cid:text.txt"');
    const img = jane.parts[1];
    expect(img.contentId).toBe('<part1.jpeg>');
    expect(sha(img.content)).toBe(content.media[0].sha256);
    // Every recipient got the same fitted bytes: fitting is per job.
    expect(new Set(mmsc.submits.filter((s) => s.messageId).map((s) => sha(s.parts[1].content)))).toEqual(new Set([content.media[0].sha256]));

    // The SubmitRsp's MessageID is the attempt's peer id; the DeliveryReportReq decided the outcome.
    expect(attempt.peer_id).toBe(jane.messageId);
    const report = (await d.api('GET', `/api/v1/jobs/${job}`, { auth })).json.data;
    const by = Object.fromEntries(report.reports.map((x: { destination: string; status: string; stage: string; notes: string | null }) => [x.destination, [x.status, x.stage, x.notes]]));
    expect(by).toEqual({
      '+61491570156': ['SENT', 'Confirmed', null],
      '+61491570157': ['EXPIRED', 'Expired', 'Expired: not fetched'],
      '+61491570158': ['FAILED', 'Rejected', 'MM7 StatusCode 2004: refused by the test MMSC'],
      '+61491570159': ['SENT', 'Confirmed', null],
      '+61491570160': ['FAILED', 'Failed', 'MM7 StatusCode 4006: refused by the test MMSC (after 2 tries)'],
    });
    // Each DeliveryReportReq was answered DeliveryReportRsp 1000 with its own TransactionID, once stored.
    await d.waitFor(() => mmsc.reportAnswers.length === 3);
    for (const a of mmsc.reportAnswers) {
      expect(a.status).toBe(200);
      expect(a.envelope).toMatchObject({ kind: 'DeliveryReportRsp', transactionId: `dr-${a.messageId}`, namespace: REL5 });
      expect(a.envelope.body.Status).toEqual({ StatusCode: '1000', StatusText: 'Success' });
      expect(a.envelope.body.MM7Version).toBe('5.3.0');
    }

    // The DeliverReq from Bo's handset is a reply: stored as an inbound MMS on the job, answered DeliverRsp, forwarded.
    await d.waitFor(() => mmsc.deliverAnswers.length === 1);
    const mo = mmsc.deliverAnswers[0]!;
    expect(mo.status).toBe(200);
    expect(mo.envelope).toMatchObject({ kind: 'DeliverRsp', body: { Status: { StatusCode: '1000' } } });
    const inbound = d.db.prepare('SELECT channel, sender, receiver, body, data, job_id FROM inbound').get() as { channel: string; sender: string; receiver: string; body: string; data: string; job_id: number };
    expect(inbound).toMatchObject({ channel: 'mms', sender: '+61491570159', receiver: '12345', body: 'Lovely, thanks', job_id: job });
    const gif = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
    expect(JSON.parse(inbound.data)).toEqual({ via: 'mm7', mms: { subject: 'Re: your MMS', linked_id: expect.any(String), parts: [{ type: 'image/gif', size: 43, sha256: sha(gif), file: join('media', 'mms-in', sha(gif)) }] } });
    // The picture itself is kept under the data dir, byte for byte, named by its hash: reachable from the record.
    const kept = JSON.parse(inbound.data).mms.parts[0];
    expect(readFileSync(join(d.dir, kept.file)).equals(gif)).toBe(true);
    expect(readdirSync(join(d.dir, 'media', 'mms-in'))).toEqual([sha(gif)]);
    const forwarded = await d.waitFor(() => cb.got.find((g) => g.form.Response));
    expect(forwarded.form).toMatchObject({ BroadcastID: String(job), Reference: 'r4', Response: 'Lovely, thanks' });
    const mail = await d.waitFor(() => d.db.prepare(`SELECT id FROM jobs WHERE json_extract(options, '$.for_job') = ? AND json_extract(options, '$.system') = 'reply'`).get(job) as { id: number } | undefined);
    expect(d.db.prepare('SELECT destination FROM recipients WHERE job_id = ?').get(mail.id)).toEqual({ destination: 'replies@example.com' });
    // A status callback per recipient.
    await d.waitFor(() => cb.got.filter((g) => g.form.Status).length >= 5);
    expect(
      cb.got
        .filter((g) => g.form.Status)
        .map((g) => [g.form.Reference, g.form.Status])
        .sort(),
    ).toEqual([
      ['r1', 'SENT'],
      ['r2', 'EXPIRED'],
      ['r3', 'FAILED'],
      ['r4', 'SENT'],
      ['r5', 'FAILED'],
    ]);
  }, 60_000);

  it('refuses what the MMSC posts without its Basic auth, and what is not MM7', async () => {
    const url = `${d.url}/gateways/mm7/mmsc-a`;
    const noAuth = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' });
    expect(noAuth.status).toBe(401);
    const authz = `Basic ${Buffer.from('mmsc:inbound-secret-1').toString('base64')}`;
    const notSoap = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml', authorization: authz }, body: '<html>no</html>' });
    expect([notSoap.status, await notSoap.text()]).toEqual([400, 'no SOAP Envelope with a Body']);
    // A part that lies about its type and names a path: kept by its hash, as what its bytes are.
    const lie = Buffer.from('not a picture at all');
    const mo = await mmsc.deliver('61491570170', '12345', 'hostile', [{ type: 'image/png', id: '<../../../hosted-media.key>', location: '../../../../etc/passwd', content: lie }]);
    expect(mo.status).toBe(200);
    const row = d.db.prepare("SELECT data FROM inbound WHERE sender = '+61491570170'").get() as { data: string };
    expect(JSON.parse(row.data).mms.parts).toEqual([{ type: 'application/octet-stream', declared: 'image/png', size: lie.length, sha256: sha(lie), file: join('media', 'mms-in', sha(lie)) }]);
    expect(readFileSync(join(d.dir, 'media', 'mms-in', sha(lie))).equals(lie)).toBe(true);
    expect(readdirSync(d.dir).filter((n) => n.includes('passwd'))).toEqual([]);
    const unknownId = await mmsc.deliveryReport('no-such-id', '61491570156', '12345');
    // A report for no message we know is still answered (stored unmatched, as a DLR is).
    expect(unknownId.status).toBe(200);
  });
});

describe('mm7 driver: an MMSC that cannot be reached', () => {
  it('holds the work without using a try, probes, and sends once the MMSC answers', async () => {
    const probe = new TestMmsc();
    const port = await probe.listen();
    await probe.close(); // a port nothing listens on, for now
    const down = await testDaemon({
      sandbox: { enabled: false },
      providers: [{ name: 'later', driver: 'mm7', services: ['mms'], host: '127.0.0.1', port, settings: { vasp_id: 'V', probe_ms: 100, delivery_report: false } }],
    });
    const later = new TestMmsc();
    try {
      const user = down.addUser('bob', 'user').auth;
      const photo = await noisyJpeg(100, 80, 70);
      const r = await down.api('POST', '/api/v1/jobs', { auth: user, body: { job_type: 'mms', message: 'Hi', files: [{ name: 'p.jpg', base64content: photo.toString('base64') }], recipients: [{ destination: '+61491570156' }] } });
      expect(r.status, r.text).toBe(200);
      await new Promise((ok) => setTimeout(ok, 600));
      expect(down.db.prepare('SELECT state, tries FROM recipients WHERE job_id = ?').get(r.json.data)).toEqual({ state: 'queued', tries: 0 });
      await later.listen(port);
      await down.waitFor(() => (down.db.prepare('SELECT state FROM recipients WHERE job_id = ?').get(r.json.data) as { state: string }).state === 'sent', 15_000);
      expect(later.submits).toHaveLength(1);
      expect(down.db.prepare('SELECT tries FROM recipients WHERE job_id = ?').get(r.json.data)).toEqual({ tries: 1 });
    } finally {
      await down.close();
      await later.close();
    }
  }, 30_000);
});
