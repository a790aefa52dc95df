import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sniff } from './sniff.js';
import { writeStored } from './store-file.js';

/** Where a received MMS's media goes, under the data dir (as received faxes go to media/fax-in/). */
export const MMS_IN_DIR = join('media', 'mms-in');

/** A received media part as kept: its type, size, hash, and its file relative to the data dir. */
export interface KeptPart {
  type: string;
  /** The type the peer declared (a well-formed media type), when it differs from what the bytes are. */
  declared?: string;
  size: number;
  sha256: string;
  /** `media/mms-in/<sha256>`, relative to the data dir. */
  file: string;
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/;

/**
 * Keep a received MMS's media parts in `dataDir/media/mms-in/`, each named by the sha256 of its bytes
 * (so nothing the peer sends names a path, and the same picture twice is stored once). Its type is
 * what the bytes are (`sniff`), else application/octet-stream: the declared type is kept beside it,
 * never believed. Throws the store's disk errors.
 */
export function keepInboundMedia(dataDir: string, parts: readonly { contentType: string; content: Buffer }[]): KeptPart[] {
  if (parts.length === 0) return [];
  const dir = join(dataDir, MMS_IN_DIR);
  mkdirSync(dir, { recursive: true });
  return parts.map((p) => {
    const sha256 = createHash('sha256').update(p.content).digest('hex');
    const path = join(dir, sha256);
    // A temp name of its own: two copies of one picture arriving at once never share one.
    if (!existsSync(path)) writeStored(`${path}.${randomBytes(6).toString('hex')}.tmp`, path, p.content);
    const declared = p.contentType.toLowerCase().split(';')[0]!.trim();
    const type = sniff(p.content)?.type ?? 'application/octet-stream';
    return { type, ...(declared !== type && MEDIA_TYPE.test(declared) ? { declared } : {}), size: p.content.length, sha256, file: join(MMS_IN_DIR, sha256) };
  });
}
