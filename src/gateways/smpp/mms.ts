import { readFile } from 'node:fs/promises';
import type { MmsDelivery } from '../gateway.js';
import type { HostedFiles } from '../../media/hosted.js';
import { planWapPush } from '../../core/mms/wap-push-plan.js';
import { attemptRef } from '../../core/mms/push-outcomes.js';
import { linkRef } from '../../core/mms/sms-link.js';
import type { MmsMedia } from '../../core/mms/retrieve-conf.js';
import type { SmppSettings } from './settings.js';

/** Where an MMS path's hosted objects go and the key their tokens are signed with (main.ts's, shared with `/m/<token>`). */
export interface HostedMedia {
  files: HostedFiles;
  key: Buffer;
}

export type SmppMmsSettings = NonNullable<SmppSettings['mms']>;

/** A part's name in the M-Retrieve.conf (Content-Location, SMIL src): `part1.jpeg`, as the MM7 driver names it. */
export const mediaPartName = (i: number, contentType: string): string => `part${i + 1}.${contentType.split('/')[1]!.replace(/[^a-z0-9]/g, '')}`;

// A job's few media files, read once for its recipients rather than once each (they never change: named by hash).
const MEDIA_CACHE = 16;
const media = new Map<string, Promise<Buffer>>();
function mediaBytes(file: string): Promise<Buffer> {
  let p = media.get(file);
  if (!p) {
    p = readFile(file);
    p.catch(() => media.delete(file));
    if (media.size >= MEDIA_CACHE) media.delete(media.keys().next().value!);
    media.set(file, p);
  }
  return p;
}

/** The job's media parts with their bytes, as the M-Retrieve.conf carries them. */
export async function mmsParts(d: MmsDelivery): Promise<MmsMedia[]> {
  return Promise.all(d.mms.media.map(async (m, i) => ({ contentType: m.contentType, name: mediaPartName(i, m.contentType), bytes: await mediaBytes(m.file) })));
}

/** The sender an MMS names (From): a number or an address; an alphanumeric sender is left out (a handset could not answer it). */
const mmsFrom = (sender: string | null): string | undefined => (sender && (/^\+\d{4,15}$/.test(sender) || /^[^\s@/]+@[^\s@/]+$/.test(sender)) ? sender : undefined);

/**
 * One recipient's WAP Push, made and hosted: its M-Retrieve.conf stored under the attempt's ref (kind
 * `mms`) for `/m/<token>`, the push PDU to send, and when it expires. Throws MmsPduError for a message
 * that cannot be encoded, a file error when the media cannot be read.
 */
export async function hostWapPush(d: MmsDelivery, s: SmppMmsSettings, hosted: HostedMedia, baseUrl: string, now: Date, wspTid: number): Promise<{ push: Buffer; expiresAt: Date; ref: string }> {
  const ref = attemptRef(d.attemptId);
  const expiresAt = new Date(now.getTime() + s.expiry_seconds * 1000);
  const from = mmsFrom(d.sender);
  const plan = planWapPush({
    message: { ...(from ? { from } : {}), ...(d.mms.subject ? { subject: d.mms.subject } : {}), ...(d.mms.text ? { text: d.mms.text } : {}), media: await mmsParts(d), presentation: s.presentation },
    to: d.destination,
    ref,
    baseUrl: s.public_url ?? baseUrl,
    key: hosted.key,
    now,
    expiresAt,
    wspTid,
    version: s.version,
  });
  // Removed once its recipient is final; kept no later than its expiry whatever happens (a cancelled job, a crash).
  hosted.files.keepUntil('mms', ref, expiresAt.getTime());
  hosted.files.put('mms', ref, { contentType: 'application/vnd.wap.mms-message', bytes: plan.retrieveConf });
  return { push: plan.push, expiresAt, ref };
}

/**
 * The job's media parts as its links serve them (`j<job>p<n>`, kind `file`): stored once for the job,
 * each kept at least until `until` (the newest link's expiry), then removed by `removeExpired`.
 */
export async function hostLinkFiles(d: MmsDelivery, hosted: HostedMedia, until: number): Promise<void> {
  for (const [i, m] of d.mms.media.entries()) {
    const ref = linkRef(d.jobId, i + 1);
    hosted.files.keepUntil('file', ref, until);
    if (!hosted.files.has('file', ref)) hosted.files.put('file', ref, { contentType: m.contentType, bytes: await mediaBytes(m.file) });
  }
}
