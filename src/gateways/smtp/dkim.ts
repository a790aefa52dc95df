import { createPrivateKey } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { DkimSigning } from './smtp-gateway.js';

/** One `email.dkim` entry as the config gives it. */
export interface DkimEntry {
  domain: string;
  selector: string;
  key_file: string;
}

/**
 * The keys read once at start, each checked to be a private key nodemailer can sign with, so that a bad
 * file stops the start naming its entry instead of failing every message later. The cache directory is
 * made private to the daemon: bodies buffered there are the clients' mail.
 */
export function loadDkimKeys(entries: readonly DkimEntry[], cacheDir: string, cacheThresholdBytes: number): DkimSigning | null {
  if (entries.length === 0) return null;
  const keys = new Map<string, { selector: string; privateKey: string }>();
  entries.forEach((e, i) => {
    let pem: string;
    try {
      pem = readFileSync(e.key_file, 'utf8');
      const type = createPrivateKey(pem).asymmetricKeyType;
      if (type !== 'rsa' && type !== 'ed25519') throw new Error(`a ${type ?? 'unknown'} key: DKIM signs with RSA or Ed25519`);
    } catch (err) {
      throw new Error(`email.dkim[${i}].key_file (${e.domain}): ${(err as Error).message}`, { cause: err });
    }
    keys.set(e.domain.toLowerCase(), { selector: e.selector, privateKey: pem });
  });
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  return { keys, cacheDir, cacheThreshold: cacheThresholdBytes };
}
