import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressPolicy } from '../net/address-policy.js';
import { fileBytes, type AudioFile } from './audio.js';
import { MediaRefused } from './refused.js';
import { reuseStored, writeStored } from './store-file.js';

export interface AttachmentLimits {
  /** media.max_email_attachments_mb: all of a job's attachments together. */
  maxMb: number;
  fetchTimeoutMs: number;
  policy: AddressPolicy;
}

/** One attachment as a job keeps it: the stored file, the name the recipient sees, its size. */
export interface StoredAttachment {
  file: string;
  name: string;
  size: number;
}

// A file name is a MIME parameter: no controls, no path, at most 255 characters.
// eslint-disable-next-line no-control-regex -- removing control characters is the point
const NAME_JUNK = /[\u0000-\u001f\u007f-\u009f/\\]/g;
export const attachmentName = (given: string): string => given.replace(NAME_JUNK, '').trim().slice(0, 255) || 'attachment';

/**
 * A job's attachments (url or base64 each), fetched or decoded once for the whole job and stored in
 * `dir` by content hash (the same file twice is stored once); all together within the cap. A refusal
 * names the file it is about. The client's name is what the recipient sees, never a path here.
 */
export async function prepareAttachments(files: AudioFile[], dir: string, limits: AttachmentLimits): Promise<StoredAttachment[]> {
  const maxBytes = Math.round(limits.maxMb * 1024 * 1024);
  mkdirSync(dir, { recursive: true });
  const out: StoredAttachment[] = [];
  let total = 0;
  for (const f of files) {
    const bytes = await fileBytes(f, { maxBytes, fetchTimeoutMs: limits.fetchTimeoutMs, policy: limits.policy }).catch((err: Error) => {
      throw err instanceof MediaRefused ? new MediaRefused(`"${f.name.slice(0, 100)}": ${err.message}`) : err;
    });
    total += bytes.length;
    if (total > maxBytes) throw new MediaRefused(`the attachments are larger than ${limits.maxMb} MB together`);
    const file = join(dir, `${createHash('sha256').update(bytes).digest('hex')}.bin`);
    if (!reuseStored(file)) writeStored(`${file}.${process.pid}.tmp`, file, bytes);
    out.push({ file, name: attachmentName(f.name), size: bytes.length });
  }
  return out;
}
