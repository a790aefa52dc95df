import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import MimeNode from 'nodemailer/lib/mime-node';
import { detectMimeType } from 'nodemailer/lib/mime-funcs';
import type { Readable } from 'node:stream';
import type { EmailAttachment } from '../../core/content.js';

/** An attachment as nodemailer takes it: a part made once (`raw`: headers and base64 body), or the file to encode. */
export type AttachmentPart = { raw: Buffer } | { filename: string; content: Readable };

/** Parts kept made, all together, and the largest part kept: a bigger one is encoded per message from its file. */
const KEPT_BYTES = 64 * 1024 * 1024;
const LARGEST_KEPT = 16 * 1024 * 1024;

/**
 * A job's attachments are the same bytes for every recipient, so each is encoded once (its MIME headers
 * and base64 lines, by nodemailer's MimeNode) and every message carries the part as made: base64 per
 * message was most of a message's cost (bench/email-smtp.js). A job's files never change (they are
 * stored once per job), so the file and name are the key; the parts are bounded by KEPT_BYTES, the
 * oldest dropped first.
 */
export class AttachmentParts {
  private readonly made = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, number>();
  private keptBytes = 0;

  async parts(attachments: readonly EmailAttachment[]): Promise<AttachmentPart[]> {
    return Promise.all(attachments.map((a) => this.part(a)));
  }

  private async part(a: EmailAttachment): Promise<AttachmentPart> {
    // base64 is 4/3 of the bytes, plus a line break every 76 characters.
    // A message/* part is not encoded (RFC 2046 5.2.1): nodemailer labels it by its content, as it is.
    if ((a.size * 4) / 3 > LARGEST_KEPT || /^message\//i.test(detectMimeType(a.name))) return { filename: a.name, content: createReadStream(a.file) };
    const key = `${a.file}\0${a.name}`;
    let made = this.made.get(key);
    if (!made) {
      made = build(a);
      this.made.set(key, made);
      made.then(
        (b) => this.keep(key, b.length),
        () => this.made.delete(key),
      );
    }
    return { raw: await made };
  }

  private keep(key: string, bytes: number): void {
    this.sizes.set(key, bytes);
    this.keptBytes += bytes;
    for (const [oldest, size] of this.sizes) {
      if (this.keptBytes <= KEPT_BYTES || oldest === key) break;
      this.sizes.delete(oldest);
      this.made.delete(oldest);
      this.keptBytes -= size;
    }
  }
}

/** The part nodemailer would make for `{ filename, content }`: the type from the name, attachment disposition, base64. */
async function build(a: EmailAttachment): Promise<Buffer> {
  const part = new MimeNode('multipart/mixed').createChild(detectMimeType(a.name), { filename: a.name });
  part.setHeader('Content-Transfer-Encoding', 'base64');
  part.setHeader('Content-Disposition', 'attachment');
  part.setContent(await readFile(a.file));
  return part.build();
}
