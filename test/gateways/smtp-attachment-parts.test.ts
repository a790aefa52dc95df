import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser } from 'mailparser';
import { AttachmentParts } from '../../dist/gateways/smtp/attachment-parts.js';

// A job's attachments are encoded once and carried as made (src/gateways/smtp/attachment-parts.ts):
// the message must be what nodemailer makes of the file itself.

const dir = mkdtempSync(join(tmpdir(), 'sp-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { file: path, name, size: bytes.length };
};

const compose = async (attachments: unknown[]) => simpleParser(await new MailComposer({ from: 'a@example.com', to: 'b@example.org', subject: 's', text: 'hi', attachments } as never).compile().build());

describe('AttachmentParts', () => {
  it('makes each part once and sends the bytes, name and type nodemailer gives the file', async () => {
    const parts = new AttachmentParts();
    const pdf = file('brochure.pdf', randomBytes(100 * 1024 + 7));
    const text = file('Übersicht März.txt', Buffer.from('line one\r\n.line two starts with a dot\n'));
    const first = await parts.parts([pdf, text]);
    const again = await parts.parts([pdf, text]);
    expect('raw' in first[0]! && 'raw' in again[0]! && first[0].raw === again[0].raw).toBe(true);
    const mail = await compose(first);
    const plain = await compose([
      { filename: pdf.name, path: pdf.file },
      { filename: text.name, path: text.file },
    ]);
    expect(mail.attachments.map((a) => [a.filename, a.contentType, a.contentDisposition])).toEqual(plain.attachments.map((a) => [a.filename, a.contentType, a.contentDisposition]));
    expect(mail.attachments[0]!.content.equals(readFileSync(pdf.file))).toBe(true);
    expect(mail.attachments[1]!.content.toString()).toBe('line one\r\n.line two starts with a dot\n');
  });

  it('leaves a message/rfc822 attachment to nodemailer (not encoded), and an unreadable file fails its message', async () => {
    const parts = new AttachmentParts();
    const eml = file('forwarded.eml', Buffer.from('From: x@example.com\r\nSubject: fwd\r\n\r\nbody\r\n'));
    const [part] = await parts.parts([eml]);
    expect(part && 'content' in part && part.filename === 'forwarded.eml').toBe(true);
    await expect(parts.parts([{ file: join(dir, 'missing.pdf'), name: 'missing.pdf', size: 10 }])).rejects.toThrow(/ENOENT/);
    // A failed build is not kept: once the file exists, it is made.
    writeFileSync(join(dir, 'missing.pdf'), Buffer.from('%PDF-1.4'));
    const [made] = await parts.parts([{ file: join(dir, 'missing.pdf'), name: 'missing.pdf', size: 8 }]);
    expect(made && 'raw' in made).toBe(true);
  });
});
