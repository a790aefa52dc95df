import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { simpleParser } from 'mailparser';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';
import { makeCertificate, TestSmtp } from '../peers/smtp.js';

// Issue 17's e-mail to fax and receiveemail through the daemon's one SMTP listener, with real parts: a
// nodemailer client (with and without AUTH, DKIM-signed), the SMTP front, mailauth checking SPF/DKIM/DMARC
// against a resolver stub (no network), the real document → fax TIFF conversion (ghostscript, sharp,
// LibreOffice), the sandbox faxing, and the daemon's own e-mails caught by an SMTP sink.
const FAX_DOMAIN = 'fax.switchpost.test';
const MAIL_DOMAIN = 'mail.switchpost.test';
const BOUNCE_DOMAIN = 'bounces.switchpost.test';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const DKIM_TXT = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const DNS: Record<string, string> = {
  // good.test sends from 127.0.0.1 and signs; bad.test's SPF allows no one and it does not sign.
  'good.test': 'v=spf1 ip4:127.0.0.1 -all',
  '_dmarc.good.test': 'v=DMARC1; p=reject',
  's1._domainkey.good.test': DKIM_TXT,
  'bad.test': 'v=spf1 -all',
  '_dmarc.bad.test': 'v=DMARC1; p=reject',
  'other.test': 'v=spf1 -all',
  '_dmarc.other.test': 'v=DMARC1; p=reject',
};
const resolver = async (name: string, rr: string) => {
  const txt = DNS[name.toLowerCase()];
  if (rr === 'TXT' && txt) return [[txt]];
  throw Object.assign(new Error(`no ${rr} record for ${name}`), { code: 'ENOTFOUND' });
};

let d: TestDaemon;
let sink: TestSmtp;
let alice: { id: number; auth: string };
let bob: { id: number; auth: string };
let carol: { id: number; auth: string };
let ictToken: string;
let ictAccount: number;
let ictFaxProgram: number;
let ictInbox: number;

type FaxJob = { id: number; user_id: number; face: string; content: string; options: string; account_id: number | null; program_id: number | null; total: number; status: string };
const faxJobs = () => d.db.prepare("SELECT id, user_id, face, content, options, account_id, program_id, total, status FROM jobs WHERE channel = 'fax' ORDER BY id").all() as FaxJob[];
const destinations = (job: number) => (d.db.prepare('SELECT destination FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { destination: string }[]).map((r) => r.destination);
const mailsTo = (rcpt: string) => sink.messages.filter((m) => m.rcptTo.includes(rcpt));
const parsedMails = async (rcpt: string) => Promise.all(mailsTo(rcpt).map((m) => simpleParser(m.raw)));
async function until<T>(fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('until: condition not met in time');
    await new Promise((r) => setTimeout(r, 30));
  }
}

const client = (auth?: { user: string; pass: string }, dkim?: SMTPTransport.Options['dkim']) =>
  createTransport({ host: '127.0.0.1', port: d.bounces!.port, secure: false, ignoreTLS: true, logger: false, ...(auth ? { auth } : {}), ...(dkim ? { dkim } : {}) });
const goodDkim = { domainName: 'good.test', keySelector: 's1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
type Refusal = { responseCode?: number; response?: string; rejected?: string[]; rejectedErrors?: { responseCode?: number; response?: string }[] };
const refused = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('not refused');
    },
    (e: Refusal) => e,
  );

async function pdf(text: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]).drawText(text, { x: 50, y: 750, size: 30, font: await doc.embedFont(StandardFonts.Helvetica) });
  return Buffer.from(await doc.save());
}
const image = (format: 'png' | 'tiff') => {
  const img = sharp({ create: { width: 800, height: 600, channels: 3, background: '#ffffff' } }).composite([{ input: Buffer.from('<svg width="800" height="600"><text x="50" y="300" font-size="80">FAX</text></svg>') }]);
  return (format === 'png' ? img.png() : img.tiff()).toBuffer();
};

describe('e-mail to fax and receiveemail on the SMTP listener', () => {
  beforeAll(async () => {
    sink = new TestSmtp({ users: {} });
    const sinkPort = await sink.listen();
    d = await testDaemon(
      {
        sandbox: { enabled: false },
        // One try: the sandbox's +61491570022 (drops after half the pages) then fails for good.
        spool: { poll_ms: 20, retry: { tries: 1, backoff_seconds: 0.05, backoff_max_seconds: 1 } },
        email: {
          system_from: 'noreply@switchpost.test',
          bounce_domain: BOUNCE_DOMAIN,
          listener: { enabled: true, port: 0, max_message_kb: 2048, fax_domains: [FAX_DOMAIN], receive_domains: [MAIL_DOMAIN], allow_insecure_auth: true },
        },
        providers: [
          { name: 'relay', driver: 'smtp', services: ['email'], host: '127.0.0.1', port: sinkPort, settings: { security: 'none', probe_ms: 200, timeout_ms: 5000 } },
          { name: 'faxes', driver: 'sandbox', services: ['fax'] },
        ],
      },
      { mailResolver: resolver },
    );
    // Alice logs in (etob_authentication_type unset: SMTP AUTH); her e-mails go to her etob address.
    alice = d.addUser('alice', 'user', { password: 'alice-secret-1', email: 'alice@example.org', profile: { etob_email_address: 'alice@good.test', fax_header_text: 'ALICE CO' } });
    // Bob sends from his address at good.test, from 127.0.0.1, without logging in; the body is his cover page.
    bob = d.addUser('bob', 'user', {
      password: 'bob-secret-1',
      profile: {
        etob_authentication_type: 'sender',
        etob_email_address: 'bob@good.test',
        etob_ip_whitelist: '127.0.0.1',
        etob_ip_whitelist_alert_address: 'bob-alerts@example.org',
        etob_use_email_body_as_fax_cover: true,
        etob_email_message_start_string: '--FAX--',
        etob_email_message_end_string: '--END--',
        etob_strip_non_ascii: true,
        etob_subject_behaviour: 'cover',
      },
    });
    // Carol's address is on a domain whose SPF allows no one; Dave's list holds another address; Erin has it off.
    carol = d.addUser('carol', 'user', { profile: { etob_authentication_type: 'sender', etob_email_address: 'carol@bad.test', etob_ip_whitelist: '127.0.0.1' } });
    d.addUser('dave', 'user', { profile: { etob_authentication_type: 'either', etob_email_address: 'dave@good.test', etob_ip_whitelist: '192.0.2.0/24', etob_ip_whitelist_alert_address: 'dave-alerts@example.org' } });
    d.addUser('erin', 'user', { password: 'erin-secret-1', profile: { etob_disabled: true, etob_email_address: 'erin@good.test' } });
    // An ICTCore user: an account whose address sends faxes (emailtofax) and one that receives e-mail (receiveemail).
    d.addUser('ict', 'user', { password: 'ict-secret-1' });
    ictToken = await bearer(d, 'ict', 'ict-secret-1');
    const acc = await d.api('POST', '/accounts', { auth: ictToken, body: { username: 'ict-fax', type: 'eaddress', email: 'ict@good.test' } });
    expect(acc.status, acc.text).toBe(200);
    ictAccount = acc.json as number;
    const prog = await d.api('POST', '/programs/emailtofax', { auth: ictToken, body: { account_id: ictAccount } });
    expect(prog.status, prog.text).toBe(200);
    ictFaxProgram = prog.json as number;
    const inbox = await d.api('POST', '/accounts', { auth: ictToken, body: { username: 'ict-inbox', type: 'eaddress', email: `inbox@${MAIL_DOMAIN}` } });
    expect(inbox.status, inbox.text).toBe(200);
    ictInbox = inbox.json as number;
    expect((await d.api('POST', '/programs/receiveemail', { auth: ictToken, body: { account_id: ictInbox } })).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    await d?.close();
    await sink?.close();
  });

  it('an authenticated user faxes every attachment type in order as one fax job, stored before the 250; told accepted, then per recipient', async () => {
    const docx = readFileSync(join('test/fixtures/office', 'letter.docx'));
    const info = await client({ user: 'alice', pass: 'alice-secret-1' }).sendMail({
      from: 'Alice <alice@good.test>',
      to: [`+61491570021@${FAX_DOMAIN}`, `FAX=+61-4-9157-0022@${FAX_DOMAIN}`],
      subject: 'Contract',
      text: 'Body not faxed: Alice does not use it as a cover page',
      attachments: [
        { filename: 'one.pdf', content: await pdf('Page one'), contentType: 'application/pdf' },
        { filename: 'two.tif', content: await image('tiff'), contentType: 'image/tiff' },
        { filename: 'letter.docx', content: docx },
        { filename: 'notes.txt', content: 'Plain text page\n', contentType: 'text/plain' },
        // A picture without a name: its type comes from its MIME type.
        { content: await image('png'), contentType: 'image/png' },
      ],
    });
    expect(info.response).toMatch(/^250 .*fax job (\d+)/);
    const jobId = Number(/fax job (\d+)/.exec(info.response)![1]);
    // Answered once stored: the job is in the database already.
    const job = faxJobs().find((j) => j.id === jobId)!;
    expect(job).toMatchObject({ user_id: alice.id, face: 'welcorp', total: 2 });
    const content = JSON.parse(job.content) as { kind: string; pages: number; header: string | null; fileNames: string[] };
    expect(content.kind).toBe('fax');
    expect(content.fileNames).toEqual(['one.pdf', 'two.tif', 'letter.docx', 'notes.txt', 'attachment-5.png']);
    expect(content.pages).toBeGreaterThanOrEqual(5);
    expect(content.header).toBe('ALICE CO');
    expect(destinations(jobId)).toEqual(['+61491570021', '+61491570022']);
    const accepted = await until(async () => (await parsedMails('alice@good.test')).find((m) => m.subject === `Fax job ${jobId} accepted`));
    expect(accepted.text).toContain('one.pdf, two.tif, letter.docx, notes.txt, attachment-5.png');
    // When the job ends: one e-mail per recipient, saying it was sent or why it failed.
    const results = await until(async () => {
      const got = (await parsedMails('alice@good.test')).filter((m) => /^Fax to .* \(job \d+\)$/.test(m.subject ?? '') && m.subject!.endsWith(`(job ${jobId})`));
      return got.length === 2 ? got : null;
    }, 60_000);
    expect(results.map((m) => m.subject).sort()).toEqual([`Fax to +61491570021 sent (job ${jobId})`, `Fax to +61491570022 failed (job ${jobId})`]);
    expect(results.find((m) => m.subject!.includes('failed'))!.text).toMatch(/failed: .+/);
    expect((await d.api('GET', `/api/v1/jobs/${jobId}`, { auth: alice.auth })).status).toBe(200);
    // Tenancy: the job and the sender's e-mails are Alice's alone (the v1 face answers 403 for another's job).
    expect((await d.api('GET', `/api/v1/jobs/${jobId}`, { auth: bob.auth })).status).toBe(403);
    const bobsJobs = await d.api('GET', '/api/v1/jobs', { auth: bob.auth });
    expect(JSON.stringify(bobsJobs.json)).not.toContain('Contract');
  }, 120_000);

  it('refuses mail without AUTH from a user who must log in, a wrong password, a disabled user, and a bad fax number', async () => {
    const noAuth = await refused(client().sendMail({ from: 'alice@good.test', to: `+61491570021@${FAX_DOMAIN}`, subject: 'x', text: 'x', attachments: [{ filename: 'a.txt', content: 'x' }] }));
    expect(noAuth.responseCode).toBe(530);
    expect(noAuth.response).toMatch(/Authentication required/);
    const badPass = await refused(client({ user: 'alice', pass: 'wrong' }).sendMail({ from: 'alice@good.test', to: `+61491570021@${FAX_DOMAIN}`, text: 'x' }));
    expect(badPass.responseCode).toBe(535);
    const off = await refused(client({ user: 'erin', pass: 'erin-secret-1' }).sendMail({ from: 'erin@good.test', to: `+61491570021@${FAX_DOMAIN}`, text: 'x', attachments: [{ filename: 'a.txt', content: 'x' }] }));
    expect(off.response).toMatch(/^550 5\.7\.1 E-mail to fax is turned off/);
    for (const to of [`jane@${FAX_DOMAIN}`, `612;reboot@${FAX_DOMAIN}`, `FAX=+61491570021/X=1@${FAX_DOMAIN}`, `12@${FAX_DOMAIN}`]) {
      const bad = await refused(client({ user: 'alice', pass: 'alice-secret-1' }).sendMail({ from: 'alice@good.test', to, text: 'x', attachments: [{ filename: 'a.txt', content: 'x' }] }));
      expect(bad.response, to).toMatch(/^550 5\.1\.3 /);
    }
    // Nothing was made of any of them.
    expect(faxJobs().filter((j) => j.user_id !== alice.id)).toEqual([]);
  });

  it('refuses an unknown domain at RCPT TO (no relaying) and a message over the size limit with 552', async () => {
    const relay = await refused(client({ user: 'alice', pass: 'alice-secret-1' }).sendMail({ from: 'alice@good.test', to: 'someone@example.com', text: 'x' }));
    expect(relay.response).toMatch(/^550 5\.7\.1 Relaying denied/);
    const before = faxJobs().length;
    const big = await refused(client({ user: 'alice', pass: 'alice-secret-1' }).sendMail({ from: 'alice@good.test', to: `+61491570021@${FAX_DOMAIN}`, text: 'x', attachments: [{ filename: 'big.txt', content: 'x'.repeat(2100 * 1024) }] }));
    expect(big.responseCode).toBe(552);
    expect(faxJobs().length).toBe(before);
  });

  it('takes mail from an etob sender address from its listed IP with DMARC passing; the body between the strings is the cover page', async () => {
    const info = await client(undefined, goodDkim).sendMail({
      envelope: { from: 'bob@good.test', to: [`61491570021@${FAX_DOMAIN}`] },
      from: 'bob@good.test',
      to: `61491570021@${FAX_DOMAIN}`,
      subject: 'Order 7',
      text: 'ignored\n--FAX--\nPlease deliver 7 crates. Merci \u2615\n--END--\nsignature',
      attachments: [{ filename: 'order.pdf', content: await pdf('Order') }],
    });
    expect(info.response).toMatch(/^250 /);
    const jobId = Number(/fax job (\d+)/.exec(info.response)![1]);
    const job = faxJobs().find((j) => j.id === jobId)!;
    expect(job.user_id).toBe(bob.id);
    expect(JSON.parse(job.content).fileNames).toEqual(['cover.txt', 'order.pdf']);
    expect(JSON.parse(job.options).email_to_fax).toMatchObject({ via: 'sender', reply_to: 'bob@good.test' });
    await until(async () => (await parsedMails('bob@good.test')).find((m) => m.subject === `Fax job ${jobId} accepted`));
  }, 60_000);

  it('refuses a forged From, a failing DMARC and an address outside the IP list, telling the alert address', async () => {
    // The envelope is Bob's, the From someone else's: refused at the end of DATA.
    const forged = await refused(
      client(undefined, goodDkim).sendMail({ envelope: { from: 'bob@good.test', to: [`61491570021@${FAX_DOMAIN}`] }, from: 'ceo@other.test', subject: 'Pay now', text: 'x', attachments: [{ filename: 'a.txt', content: 'x' }] }),
    );
    expect(forged.response).toMatch(/^550 5\.7\.1 The message's From is not/);
    const alert = await until(async () => (await parsedMails('bob-alerts@example.org')).find((m) => /From is not/.test(m.text ?? '')));
    expect(alert.subject).toBe('E-mail to fax refused in your name');
    // Carol's domain's SPF allows no one and her mail is not signed: DMARC fails.
    const dmarc = await refused(client().sendMail({ from: 'carol@bad.test', to: `61491570021@${FAX_DOMAIN}`, subject: 'x', text: 'x', attachments: [{ filename: 'a.txt', content: 'x' }] }));
    expect(dmarc.response).toMatch(/^550 5\.7\.1 .*DMARC fail/);
    // Dave's list has only 192.0.2.0/24: refused at RCPT TO, and his alert address told.
    const ip = await refused(client().sendMail({ from: 'dave@good.test', to: `61491570021@${FAX_DOMAIN}`, text: 'x' }));
    expect(ip.response).toMatch(/^550 5\.7\.1 .*not in the list/);
    const daveAlert = await until(async () => (await parsedMails('dave-alerts@example.org'))[0]);
    expect(daveAlert.text).toContain('Client address: 127.0.0.1');
    // An unknown sender without AUTH: refused, nobody told.
    expect((await refused(client().sendMail({ from: 'stranger@good.test', to: `61491570021@${FAX_DOMAIN}`, text: 'x' }))).responseCode).toBe(530);
    expect(faxJobs().filter((j) => j.user_id === carol.id)).toEqual([]);
  }, 60_000);

  it('refuses a message with nothing to fax, or a document it cannot convert, telling the sender why', async () => {
    const none = await refused(client({ user: 'alice', pass: 'alice-secret-1' }).sendMail({ from: 'alice@good.test', to: `+61491570021@${FAX_DOMAIN}`, subject: 'Empty', text: 'no attachment' }));
    expect(none.response).toMatch(/^554 5\.6\.0 Nothing to fax/);
    const bin = await refused(
      client({ user: 'alice', pass: 'alice-secret-1' }).sendMail({ from: 'alice@good.test', to: `+61491570021@${FAX_DOMAIN}`, subject: 'Binary', text: 'x', attachments: [{ filename: 'tool.exe', content: Buffer.from([0x4d, 0x5a, 0, 1]) }] }),
    );
    expect(bin.response).toMatch(/^554 5\.6\.0 /);
    const rejected = await until(async () => (await parsedMails('alice@good.test')).find((m) => m.subject === 'Fax not sent: Binary'));
    expect(rejected.text).toContain('tool.exe');
  }, 60_000);

  it("faxes for an ICTCore account's emailtofax program: its address with DMARC passing, a job of its account", async () => {
    const info = await client(undefined, goodDkim).sendMail({ from: 'ict@good.test', to: `+61491570021@${FAX_DOMAIN}`, subject: 'ICT fax', text: 'x', attachments: [{ filename: 'a.pdf', content: await pdf('ICT') }] });
    const jobId = Number(/fax job (\d+)/.exec(info.response)![1]);
    expect(faxJobs().find((j) => j.id === jobId)).toMatchObject({ face: 'ictcore', account_id: ictAccount, program_id: ictFaxProgram });
    // Its transmission is the account owner's, and no one else's.
    const mine = await d.api('GET', '/transmissions', { auth: ictToken });
    expect(mine.status, mine.text).toBe(200);
    expect((mine.json as { account_id: number | null }[]).some((t) => t.account_id === ictAccount)).toBe(true);
    const others = await d.api('GET', '/transmissions', { auth: await bearer(d, 'bob', 'bob-secret-1') });
    expect((others.json as { account_id: number | null }[]).some((t) => t.account_id === ictAccount)).toBe(false);
  }, 60_000);

  it("stores mail to an account's address on a receive domain as its inbound transmission (receiveemail), for its owner alone", async () => {
    const info = await client().sendMail({ from: 'someone@example.com', to: `Inbox@${MAIL_DOMAIN}`, subject: 'Hello', text: 'Mail for the inbox' });
    expect(info.response).toMatch(/^250 /);
    // Answered once stored.
    const mine = (await d.api('GET', '/transmissions?direction=inbound', { auth: ictToken })).json as { account_id: number; message: string; phone: string }[];
    expect(mine.find((t) => t.message.includes('Mail for the inbox'))).toMatchObject({ account_id: ictInbox, phone: 'someone@example.com' });
    const bobs = (await d.api('GET', '/transmissions?direction=inbound', { auth: await bearer(d, 'bob', 'bob-secret-1') })).json as { message: string }[];
    expect(bobs.some((t) => t.message.includes('Mail for the inbox'))).toBe(false);
    // An address of the domain no account has: refused at RCPT TO.
    expect((await refused(client().sendMail({ from: 'someone@example.com', to: `nobody@${MAIL_DOMAIN}`, text: 'x' }))).response).toMatch(/^550 5\.1\.1 /);
    // Two domains in one message: the second is answered 452 (send it on its own).
    const mixed = await client().sendMail({ from: 'someone@example.com', to: [`inbox@${MAIL_DOMAIN}`, `+61491570021@${FAX_DOMAIN}`], text: 'x' });
    expect(mixed.rejected).toEqual([`+61491570021@${FAX_DOMAIN}`]);
  }, 30_000);
});

describe('SMTP AUTH on the listener without allow_insecure_auth', () => {
  let td: TestDaemon;
  let cert: ReturnType<typeof makeCertificate>;
  beforeAll(async () => {
    cert = makeCertificate();
    td = await testDaemon({
      sandbox: { enabled: false },
      email: { listener: { enabled: true, port: 0, max_message_kb: 1024, fax_domains: [FAX_DOMAIN], tls_key_file: join(cert.dir, 'key.pem'), tls_cert_file: cert.certFile } },
      providers: [{ name: 'faxes', driver: 'sandbox', services: ['fax'] }],
    });
    td.addUser('tls', 'user', { password: 'tls-secret-1' });
  }, 30_000);
  afterAll(async () => {
    await td?.close();
    cert?.remove();
  });

  it('refuses a password in clear and takes it after STARTTLS', async () => {
    const send = (tls: boolean) =>
      createTransport({
        host: '127.0.0.1',
        port: td.bounces!.port,
        secure: false,
        ...(tls ? { requireTLS: true, tls: { ca: cert.cert, servername: 'localhost' } } : { ignoreTLS: true }),
        auth: { user: 'tls', pass: 'tls-secret-1' },
        logger: false,
      }).sendMail({
        from: 'tls@example.com',
        to: `+61491570021@${FAX_DOMAIN}`,
        text: 'x',
        attachments: [{ filename: 'a.txt', content: 'page' }],
      });
    const clear = await refused(send(false));
    expect(clear.responseCode).toBe(538);
    expect((await send(true)).response).toMatch(/^250 .*fax job \d+/);
  }, 30_000);
});
