import type { AddressPolicy } from '../net/address-policy.js';
import { fileBytes, type AudioFile } from './audio.js';
import type { FaxInput } from './fax.js';
import { MediaRefused } from './refused.js';

export interface FaxDocumentLimits {
  /** media.max_fax_mb: each document, and all of a job's together. */
  maxMb: number;
  fetchTimeoutMs: number;
  policy: AddressPolicy;
}

/**
 * A fax job's documents (url or base64 each) as bytes, within the size cap for each and for all
 * together; a refusal names the document it is about.
 */
export async function readFaxDocuments(files: AudioFile[], limits: FaxDocumentLimits): Promise<FaxInput[]> {
  const maxBytes = Math.round(limits.maxMb * 1024 * 1024);
  const inputs: FaxInput[] = [];
  let total = 0;
  for (const f of files) {
    const bytes = await fileBytes(f, { maxBytes, fetchTimeoutMs: limits.fetchTimeoutMs, policy: limits.policy }).catch((err: Error) => {
      throw err instanceof MediaRefused ? new MediaRefused(`"${f.name.slice(0, 100)}": ${err.message}`) : err;
    });
    total += bytes.length;
    if (total > maxBytes) throw new MediaRefused(`the documents are larger than ${limits.maxMb} MB together`);
    inputs.push({ name: f.name, bytes });
  }
  return inputs;
}
