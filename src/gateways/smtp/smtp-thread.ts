import { parentPort, workerData } from 'node:worker_threads';
import { createTransport } from 'nodemailer';
import { AttachmentParts } from './attachment-parts.js';
import { classifySmtpError, queueIdOf, type SmtpErrorFields } from './reply.js';
import { relayConnection } from './settings.js';
import type { FromSmtpThread, SmtpJob, SmtpThreadData, ToSmtpThread } from './worker-protocol.js';

/**
 * One SMTP thread of an smtp provider (smtp-gateway.ts starts them): its own nodemailer pool of its
 * share of the connections, the MIME build of each message, DKIM signing, and the bytes on the wire.
 * The main thread only hands messages over and gets each one's outcome back: the per-byte work of a
 * message (nodemailer's dot-stuffing, the socket writes) was most of the main thread's CPU.
 */
const data = workerData as SmtpThreadData;
const port = parentPort!;
const { settings } = data;
const transport = createTransport({
  pool: true,
  ...relayConnection(data.endpoint, settings),
  maxConnections: data.connections,
  maxMessages: settings.max_messages,
  // A message whose connection dropped comes back to us (held, or retried by policy), not resent by the pool.
  maxRequeues: 0,
  connectionTimeout: settings.timeout_ms,
  greetingTimeout: settings.timeout_ms,
  socketTimeout: settings.timeout_ms,
  // Pacing is the spool's (the provider's throughput), not nodemailer's rateLimit.
  logger: false,
});
const attachmentParts = new AttachmentParts();
const waiting: SmtpJob[] = [];
let active = 0;
let up = false;
let closing = false;

const post = (m: FromSmtpThread): void => port.postMessage(m);

port.on('message', (m: ToSmtpThread) => {
  switch (m.t) {
    case 'send':
      waiting.push(m.job);
      return pump();
    case 'up':
      up = true;
      return pump();
    case 'release':
      up = false;
      return post({ t: 'released', req: m.req, ids: waiting.splice(0).map((j) => j.id) });
    case 'verify':
      return void verify(m.req);
    case 'close':
      closing = true;
      up = false;
      transport.close();
      return end();
  }
});

function pump(): void {
  while (up && active < data.connections && waiting.length > 0) {
    const job = waiting.shift()!;
    active++;
    void deliver(job).finally(() => {
      active--;
      if (closing) end();
      else pump();
    });
  }
}

/** Once closed and nothing is on the wire, the port goes and the thread ends. */
function end(): void {
  if (active === 0) port.close();
}

async function deliver(job: SmtpJob): Promise<void> {
  const m = job.email;
  try {
    const attachments = await attachmentParts.parts(m.attachments);
    const info = await transport.sendMail({
      envelope: { from: job.envelopeFrom, to: [job.to] },
      from: m.from.name ? { name: m.from.name, address: m.from.address } : m.from.address,
      to: job.to,
      subject: m.subject,
      ...dkimFor(m.from.address),
      // ORCPT names the recipient in the DSN too, besides the return path.
      ...(settings.dsn ? { dsn: { notify: settings.dsn.notify, ret: settings.dsn.ret, recipient: job.to } } : {}),
      ...(m.text !== null ? { text: m.text } : {}),
      ...(m.html !== null ? { html: m.html } : {}),
      // Each of the job's files as a part made once (its base64 is the same for every recipient).
      attachments,
      // nodemailer sends it as a text/calendar; method=… alternative and an invite.ics attachment (as Outlook does).
      ...(m.invite ? { icalEvent: { method: m.invite.method, content: m.invite.ics, filename: 'invite.ics' } } : {}),
      // The content is the client's: nothing in it may make nodemailer read a file or fetch a URL.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    post({ t: 'sent', id: job.id, peerId: queueIdOf(info.response) ?? info.messageId });
  } catch (err) {
    const failure = classifySmtpError(err as SmtpErrorFields);
    // The relay went: start nothing more here until the main thread's probe finds it again.
    if (failure.kind === 'link') up = false;
    post({ t: 'failed', id: job.id, failure });
  }
}

/** nodemailer's per-message dkim option for the From address's domain, when a key is set for it; else nothing (unsigned). */
function dkimFor(from: string) {
  const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
  const key = data.dkim?.keys.get(domain);
  if (!data.dkim || !key) return {};
  return { dkim: { domainName: domain, keySelector: key.selector, privateKey: key.privateKey, cacheDir: data.dkim.cacheDir, cacheTreshold: data.dkim.cacheThreshold } };
}

async function verify(req: number): Promise<void> {
  try {
    await transport.verify();
    post({ t: 'verified', req, failure: null });
  } catch (err) {
    post({ t: 'verified', req, failure: classifySmtpError(err as SmtpErrorFields) });
  }
}
