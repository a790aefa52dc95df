import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AddressPolicy } from '../net/address-policy.js';
import { safeRequest } from '../net/safe-http.js';
import { MediaToolError, runTool } from './run.js';
import { MediaRefused } from './refused.js';
import { reuseStored, writeStored } from './store-file.js';

export interface AudioLimits {
  maxBytes: number;
  maxSeconds: number;
  fetchTimeoutMs: number;
  policy: AddressPolicy;
}

export interface AudioFile {
  name: string;
  url?: string | undefined;
  base64content?: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BYTES_PER_SECOND = 16_000; // 8 kHz, 16-bit, mono

/**
 * A job's file as bytes: base64 checked strictly, or a URL fetched over http(s) only, within the size
 * cap and time limit, never from an address the policy refuses.
 */
export async function fileBytes(file: AudioFile, limits: Omit<AudioLimits, 'maxSeconds'>): Promise<Buffer> {
  if (file.base64content !== undefined) {
    const b64 = file.base64content.replace(/\s+/g, '');
    if (b64.length === 0 || b64.length % 4 !== 0 || !BASE64.test(b64)) throw new MediaRefused('base64content is not valid base64');
    if ((b64.length / 4) * 3 > limits.maxBytes + 2) throw new MediaRefused(`larger than ${limits.maxBytes} bytes`);
    return Buffer.from(b64, 'base64');
  }
  if (file.url !== undefined) {
    let res;
    try {
      res = await safeRequest(file.url, { method: 'GET', headers: { accept: '*/*' }, timeoutMs: limits.fetchTimeoutMs, policy: limits.policy, maxResponseBytes: limits.maxBytes });
    } catch (err) {
      throw new MediaRefused(`could not be fetched: ${(err as Error).message}`);
    }
    if (res.status !== 200) throw new MediaRefused(`could not be fetched: HTTP ${res.status}`);
    if (res.truncated) throw new MediaRefused(`larger than ${limits.maxBytes} bytes`);
    return res.bytes;
  }
  throw new MediaRefused('give url or base64content');
}

/**
 * A job's audio (url or base64; wav, mp3, ogg… whatever ffmpeg reads) → 8 kHz mono 16-bit WAV in `dir`,
 * named by its content hash (one conversion per distinct file). The given name never reaches a path.
 */
export async function prepareAudio(file: AudioFile, dir: string, limits: AudioLimits): Promise<{ path: string; seconds: number }> {
  return convertAudio(await fileBytes(file, limits), dir, limits.maxSeconds);
}

/** Audio bytes → 8 kHz mono 16-bit WAV in `dir`, named by content hash; MediaRefused when unusable. */
export async function convertAudio(input: Buffer, dir: string, maxSeconds: number): Promise<{ path: string; seconds: number }> {
  const limits = { maxSeconds };
  if (input.length === 0) throw new MediaRefused('is empty');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${createHash('sha256').update(input).digest('hex')}.wav`);
  if (!reuseStored(path)) {
    let wav: Buffer;
    try {
      // One second more than allowed is enough to tell a file that is too long.
      wav = await runTool(
        'ffmpeg',
        ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-t', String(limits.maxSeconds + 1), '-vn', '-ar', '8000', '-ac', '1', '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav', 'pipe:1'],
        { input, timeoutMs: 60_000 },
      );
    } catch (err) {
      throw new MediaRefused(err instanceof MediaToolError ? 'is not audio ffmpeg can read' : (err as Error).message);
    }
    const seconds = (wav.length - 44) / BYTES_PER_SECOND;
    if (seconds <= 0.05) throw new MediaRefused('has no audio');
    if (seconds > limits.maxSeconds) throw new MediaRefused(`longer than ${limits.maxSeconds} seconds`);
    const tmp = `${path}.${process.pid}.tmp`;
    writeStored(tmp, path, wav);
    return { path, seconds };
  }
  return { path, seconds: 0 };
}

/**
 * 8 kHz WAVs (convertAudio's) played one after the other, as one WAV in the first one's directory,
 * named by the hash of what it joins (joined once). A recording of several files is played so
 * (ICTCore's POST …/recordings/{id}/media appends a file to it).
 */
export async function joinAudio(wavs: readonly string[], maxSeconds: number): Promise<{ path: string; seconds: number }> {
  if (wavs.length === 0) throw new MediaRefused('nothing to join');
  const dir = dirname(wavs[0]!);
  const path = join(
    dir,
    `${createHash('sha256')
      .update(wavs.map((w) => basename(w)).join('\n'))
      .digest('hex')}.joined.wav`,
  );
  if (!reuseStored(path)) {
    const inputs = wavs.flatMap((w) => ['-i', w]);
    const filter = `${wavs.map((_, i) => `[${i}:a]`).join('')}concat=n=${wavs.length}:v=0:a=1[out]`;
    let wav: Buffer;
    try {
      wav = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...inputs, '-filter_complex', filter, '-map', '[out]', '-ar', '8000', '-ac', '1', '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav', 'pipe:1'], {
        timeoutMs: 60_000,
      });
    } catch (err) {
      throw new MediaRefused(err instanceof MediaToolError ? 'could not be joined to the recording' : (err as Error).message);
    }
    const seconds = (wav.length - 44) / BYTES_PER_SECOND;
    if (seconds > maxSeconds) throw new MediaRefused(`the recording would be longer than ${maxSeconds} seconds`);
    writeStored(`${path}.${process.pid}.tmp`, path, wav);
  }
  return { path, seconds: 0 };
}
