// A real SMTP relay for tests, on smtp-server: 127.0.0.1, STARTTLS with a certificate made for it (openssl),
// AUTH PLAIN and LOGIN, answers scripted per recipient (a 4xx or 5xx at RCPT TO or after DATA), and every
// message it took recorded with its envelope and raw bytes. It counts connections open at once.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

export const hasOpenssl = () => spawnSync('openssl', ['version']).status === 0;

/** A self-signed certificate for 127.0.0.1 and localhost; the file is also the CA a client trusts. */
export function makeCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-cert-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(`openssl: ${gen.stderr}`);
  return { dir, key: readFileSync(key), cert: readFileSync(cert), certFile: cert, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const reply = (code, text) => Object.assign(new Error(text), { responseCode: code });

/**
 * Options: users ({ name: password }; AUTH required when given), script(rcpt, tries) → null or
 * { at: 'rcpt' | 'data', code, text } (tries: how often this address was offered before), cert (from
 * makeCertificate; STARTTLS offered and required before AUTH), secure (TLS from the first byte instead,
 * as on port 465), holdMs (time each message's DATA takes, so that connections overlap), dsn (offer the
 * DSN extension, RFC 3461: smtp-server hides it by default).
 */
export class TestSmtp {
  constructor({ users = { relay: 'relay-secret' }, script = () => null, cert, secure = false, holdMs = 0, dsn = false } = {}) {
    this.dsn = dsn;
    this.secure = secure;
    this.users = users;
    this.script = script;
    this.cert = cert;
    this.holdMs = holdMs;
    /** What it took: { mailFrom, rcptTo, raw (Buffer), dsn, rcptDsn, user, secure, queueId } */
    this.messages = [];
    /** Every RCPT TO offered, with what it answered. */
    this.offers = [];
    /** The AUTH mechanism of every login tried. */
    this.authMethods = [];
    this.open = 0;
    this.maxOpen = 0;
    this.connections = 0;
    this.queued = 0;
    this.port = 0;
    this.server = null;
  }

  async listen(port = 0) {
    const tries = new Map();
    this.server = new SMTPServer({
      name: 'relay.test',
      secure: this.secure,
      key: this.cert?.key,
      cert: this.cert?.cert,
      hideSTARTTLS: !this.cert,
      hideDSN: !this.dsn,
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: Object.keys(this.users).length === 0,
      allowInsecureAuth: !this.cert,
      disableReverseLookup: true,
      logger: false,
      closeTimeout: 200,
      onConnect: (session, cb) => {
        this.connections++;
        this.open++;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        cb();
      },
      onClose: () => {
        this.open--;
      },
      onAuth: (auth, session, cb) => {
        if (this.cert && !session.secure) return cb(reply(538, 'Error: must issue a STARTTLS command first'));
        this.authMethods.push(auth.method);
        if (Object.hasOwn(this.users, auth.username) && this.users[auth.username] === auth.password) return cb(null, { user: auth.username });
        cb(reply(535, '5.7.8 Error: authentication failed'));
      },
      onRcptTo: (address, session, cb) => {
        const rcpt = address.address;
        const n = tries.get(rcpt) ?? 0;
        tries.set(rcpt, n + 1);
        const s = this.script(rcpt, n);
        this.offers.push({ rcpt, answered: s && s.at === 'rcpt' ? s.code : 250 });
        if (s && s.at === 'rcpt') return cb(reply(s.code, s.text));
        session.scripted = s;
        cb();
      },
      onData: (stream, session, cb) => {
        const chunks = [];
        stream.on('data', (c) => chunks.push(c));
        stream.on('end', () => {
          setTimeout(() => {
            const s = session.scripted;
            if (s && s.at === 'data') return cb(reply(s.code, s.text));
            const queueId = `4Q${(++this.queued).toString(16).padStart(8, '0').toUpperCase()}`;
            this.messages.push({
              mailFrom: session.envelope.mailFrom.address,
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              raw: Buffer.concat(chunks),
              // RFC 3461 parameters as smtp-server read them: MAIL FROM's RET/ENVID, each RCPT TO's NOTIFY/ORCPT.
              dsn: session.envelope.dsn,
              rcptDsn: session.envelope.rcptTo.map((r) => r.dsn),
              user: session.user,
              secure: session.secure,
              queueId,
            });
            cb(null, `Ok: queued as ${queueId}`);
          }, this.holdMs);
        });
      },
    });
    this.server.on('error', () => {});
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = this.server.server.address().port;
    return this.port;
  }

  /** Stop listening and drop every connection (a relay that goes away). */
  async close() {
    if (!this.server) return;
    const server = this.server;
    this.server = null;
    for (const c of [...server.connections]) c.close();
    await new Promise((r) => server.close(r));
  }
}
