import type { Content } from './content.js';

/**
 * A job's documents: the files its content names in the data dir (a fax's TIFF, a recording, an
 * e-mail's attachments, an MMS's media, a received fax's PDF). Files are named by their content and
 * shared between jobs, so each is known by its place under the data dir, `media/<dir>/<file>`, the same
 * whatever the data dir was called when the job was made: the key a retention sweep removes by and the
 * one that keeps a file another job still names.
 */

/** The directories under data_dir/media whose files are jobs' documents (never the TTS cache or ICTCore's uploads). */
export const DOCUMENT_DIRS: readonly string[] = ['fax', 'audio', 'attachments', 'mms', 'reports', 'fax-in'];

/** The most hours `maximum_document_retention_hours` takes: ten years (null keeps documents for ever). */
export const MAX_RETENTION_HOURS = 87_600;

/** A path's key, `media/<dir>/<file>`, or null when it is not a document's place (then it is never removed). */
export function documentKey(path: string): string | null {
  const parts = path.split('/');
  if (parts.length < 3) return null;
  const [media, dir, file] = parts.slice(-3) as [string, string, string];
  if (media !== 'media' || !DOCUMENT_DIRS.includes(dir) || file === '' || file === '.' || file === '..') return null;
  return `media/${dir}/${file}`;
}

/** The files a job's content names, as they are written in it. */
export function documentPaths(c: Content): string[] {
  switch (c.kind) {
    case 'fax':
      return c.document ? [c.document] : [];
    case 'call':
      return c.recording ? [c.recording.file] : [];
    case 'email':
      return c.attachments.map((a) => a.file);
    case 'mms':
      return c.media.map((m) => m.file);
    case 'sms':
      return [];
  }
}

/** The keys of a job's documents, each once. */
export const documentKeys = (c: Content): string[] => [...new Set(documentPaths(c).flatMap((p) => documentKey(p) ?? []))];

/** A v1 retention setting as hours, or null (unset, or not a whole number in range: documents kept). */
export function retentionHours(v: unknown): number | null {
  const n = typeof v === 'string' && /^\s*\d{1,6}\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_RETENTION_HOURS ? n : null;
}
