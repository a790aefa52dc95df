import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { MmsMedia } from '../core/content.js';
import type { AddressPolicy } from '../net/address-policy.js';
import { attachmentName } from './attachments.js';
import { fileBytes, type AudioFile } from './audio.js';
import { MediaRefused } from './refused.js';
import { MediaToolError, runTool } from './run.js';
import { sniff } from './sniff.js';
import { reuseStored, writeStored } from './store-file.js';

export interface MmsLimits {
  /** The provider's size limit for the whole message (settings.max_bytes; 300 KB by default). */
  maxBytes: number;
  /** media.max_mms_input_mb: the largest file a job may bring before fitting. */
  maxInputMb: number;
  fetchTimeoutMs: number;
  policy: AddressPolicy;
}

/** The default size limit of an MMS, the one every operator takes (300 KB). */
export const MMS_DEFAULT_MAX_BYTES = 300 * 1024;

/**
 * Room kept out of the size limit for what is not the media: the text part (a v1 message is at most
 * MAX_MMS_TEXT_BYTES), the subject, the SMIL and the envelope's headers.
 */
export const MMS_RESERVED_BYTES = 8 * 1024;

const TOOL_MS = 60_000;
const PIXELS = 100_000_000;

/**
 * A job's media files (url or base64), each read, sniffed from its bytes and fitted once for the whole
 * job so that all of them together leave MMS_RESERVED_BYTES of `maxBytes`: an image or audio or video
 * already small enough is kept byte for byte; a larger one is scaled and re-encoded (images by sharp,
 * animated GIFs frame by frame; audio to MP3 and video to H.264/AAC MP4 by ffmpeg) until it fits. The
 * result is stored in `dir` by the hash of its bytes. A file that is not such media, or that cannot be
 * made to fit, is refused naming it.
 */
export async function prepareMmsMedia(files: AudioFile[], dir: string, limits: MmsLimits): Promise<MmsMedia[]> {
  const budget = Math.floor((limits.maxBytes - MMS_RESERVED_BYTES) / Math.max(1, files.length));
  if (budget < 1024) throw new MediaRefused(`${files.length} files cannot share an MMS of ${limits.maxBytes} bytes`);
  mkdirSync(dir, { recursive: true });
  const out: MmsMedia[] = [];
  for (const f of files) {
    const named = (err: unknown): never => {
      throw err instanceof MediaRefused ? new MediaRefused(`"${f.name.slice(0, 100)}": ${err.message}`) : err;
    };
    const input = await fileBytes(f, { maxBytes: Math.round(limits.maxInputMb * 1024 * 1024), fetchTimeoutMs: limits.fetchTimeoutMs, policy: limits.policy }).catch(named);
    const fitted = await fitMedia(input, budget).catch(named);
    const sha256 = createHash('sha256').update(fitted.bytes).digest('hex');
    const file = join(dir, `${sha256}.${fitted.ext}`);
    if (!reuseStored(file)) writeStored(`${file}.${process.pid}.tmp`, file, fitted.bytes);
    out.push({ file, contentType: fitted.type, size: fitted.bytes.length, sha256, name: attachmentName(f.name) });
  }
  return out;
}

export interface Fitted {
  bytes: Buffer;
  type: string;
  ext: string;
}

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'audio/mpeg': 'mp3', 'audio/amr': 'amr', 'audio/aac': 'aac', 'audio/wav': 'wav', 'audio/ogg': 'ogg', 'video/mp4': 'mp4', 'video/3gpp': '3gp' };

/** One file's bytes fitted within `budget` bytes (see prepareMmsMedia); MediaRefused when it cannot be. */
export async function fitMedia(input: Buffer, budget: number): Promise<Fitted> {
  if (input.length === 0) throw new MediaRefused('is empty');
  const sniffed = sniff(input);
  if (!sniffed) throw new MediaRefused('is not an image (JPEG, PNG, GIF), audio or video file');
  if (sniffed.family === 'image') return fitImage(input, sniffed.type, budget);
  const probe = await probeMedia(input);
  const kind = probe.video ? 'video' : 'audio';
  // Kept as it came when it fits and handsets play it as it is.
  const asIs = probe.video ? sniffed.type === 'video/mp4' || sniffed.type === 'video/3gpp' : ['audio/mpeg', 'audio/amr', 'audio/aac'].includes(sniffed.type);
  if (input.length <= budget && asIs) return { bytes: input, type: sniffed.type, ext: EXT[sniffed.type]! };
  if (!(probe.seconds > 0)) throw new MediaRefused(`is ${kind} of no known length`);
  return kind === 'video' ? fitVideo(input, probe.seconds, budget) : fitAudio(input, probe.seconds, budget);
}

// Image sizes tried, longest side, each within the one before; and JPEG qualities at each.
const SIDES = [1600, 1280, 1024, 800, 640, 480, 320, 240, 160, 120, 96, 64];
const QUALITIES = [82, 68, 52, 38];

async function fitImage(input: Buffer, type: 'image/jpeg' | 'image/png' | 'image/gif', budget: number): Promise<Fitted> {
  let meta;
  try {
    meta = await sharp(input, { limitInputPixels: PIXELS, animated: true }).metadata();
  } catch {
    throw new MediaRefused(`is not a readable ${type.slice(6).toUpperCase()} image`);
  }
  if (input.length <= budget) return { bytes: input, type, ext: EXT[type]! };
  const width = meta.width ?? 0;
  const height = meta.pageHeight ?? meta.height ?? 0;
  const longest = Math.max(width, height);
  // Bytes go roughly with pixels: start near the side that would fit (a little above), not at full size.
  const guess = Math.ceil(longest * Math.sqrt(budget / input.length) * 1.2);
  const sides = [...(guess < longest ? [guess] : [longest]), ...SIDES.filter((s) => s < Math.min(guess, longest))];
  const animated = type === 'image/gif' && (meta.pages ?? 1) > 1;
  for (const side of sides) {
    const resized = () => sharp(input, { limitInputPixels: PIXELS, animated }).timeout({ seconds: 30 }).resize({ width: side, height: side, fit: 'inside', withoutEnlargement: true });
    if (animated) {
      // A GIF stays a GIF (every frame scaled): fewer colours before fewer pixels.
      for (const colours of [128, 64]) {
        const bytes = await resized().gif({ colours, effort: 3 }).toBuffer();
        if (bytes.length <= budget) return { bytes, type: 'image/gif', ext: 'gif' };
      }
      continue;
    }
    for (const quality of QUALITIES) {
      // A still image becomes a JPEG on white (PNG's transparency has no JPEG form).
      const bytes = await resized().flatten({ background: '#ffffff' }).jpeg({ quality }).toBuffer();
      if (bytes.length <= budget) return { bytes, type: 'image/jpeg', ext: 'jpg' };
    }
  }
  throw new MediaRefused(`cannot be made to fit in ${budget} bytes, even at ${SIDES.at(-1)} pixels`);
}

interface Probe {
  video: boolean;
  seconds: number;
}

/** ffprobe on the bytes: whether there is a picture stream (a cover image is not one) and how long it lasts. */
async function probeMedia(input: Buffer): Promise<Probe> {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-mms-'));
  try {
    const file = join(dir, 'in');
    writeFileSync(file, input);
    let json: { streams?: { codec_type?: string; disposition?: { attached_pic?: number } }[]; format?: { duration?: string } };
    try {
      json = JSON.parse((await runTool('ffprobe', ['-v', 'error', '-of', 'json', '-show_format', '-show_streams', file], { timeoutMs: 20_000, maxOutput: 1024 * 1024 })).toString()) as typeof json;
    } catch (err) {
      throw new MediaRefused(err instanceof MediaToolError ? 'is not audio or video ffmpeg can read' : (err as Error).message);
    }
    const streams = json.streams ?? [];
    const video = streams.some((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
    if (!video && !streams.some((s) => s.codec_type === 'audio')) throw new MediaRefused('has no audio or video stream');
    return { video, seconds: Number(json.format?.duration ?? 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ffmpeg from a file to a file (MP4 needs to seek both ways), in a temporary directory of its own. */
async function transcode(input: Buffer, outName: string, args: string[]): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-mms-'));
  try {
    const inFile = join(dir, 'in');
    const outFile = join(dir, outName);
    writeFileSync(inFile, input);
    try {
      await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', inFile, '-map_metadata', '-1', ...args, outFile], { timeoutMs: TOOL_MS });
    } catch (err) {
      throw new MediaRefused(err instanceof MediaToolError ? 'could not be re-encoded by ffmpeg' : (err as Error).message);
    }
    return readFileSync(outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Below these a recording is noise: a file that needs less to fit is refused.
const MIN_AUDIO_BPS = 8_000;
const MIN_VIDEO_BPS = 24_000;
const VIDEO_AUDIO_BPS = 24_000;

/** Audio → mono MP3 at the bit rate that fits its length (a little under, for the frames' headers), lowered again if it came out over. */
async function fitAudio(input: Buffer, seconds: number, budget: number): Promise<Fitted> {
  let bps = Math.min(128_000, Math.floor(((budget * 8) / seconds) * 0.9));
  for (let i = 0; i < 3 && bps >= MIN_AUDIO_BPS; i++, bps = Math.floor(bps * 0.8)) {
    const rate = bps >= 48_000 ? 44100 : bps >= 24_000 ? 22050 : bps >= 16_000 ? 16000 : 8000;
    const bytes = await transcode(input, 'out.mp3', ['-vn', '-ac', '1', '-ar', String(rate), '-c:a', 'libmp3lame', '-b:a', `${Math.floor(bps / 1000)}k`, '-f', 'mp3']);
    if (bytes.length <= budget) return { bytes, type: 'audio/mpeg', ext: 'mp3' };
  }
  throw new MediaRefused(`cannot be made to fit in ${budget} bytes: ${seconds.toFixed(1)} s of audio would need less than ${MIN_AUDIO_BPS / 1000} kbit/s`);
}

/** Video → H.264 (baseline, what handsets play) with mono AAC in MP4, at most 320 pixels wide, at the bit rate that fits its length. */
async function fitVideo(input: Buffer, seconds: number, budget: number): Promise<Fitted> {
  let total = Math.floor(((budget * 8) / seconds) * 0.85);
  for (let i = 0; i < 3 && total - VIDEO_AUDIO_BPS >= MIN_VIDEO_BPS; i++, total = Math.floor(total * 0.8)) {
    const vbps = total - VIDEO_AUDIO_BPS;
    const width = vbps >= 200_000 ? 320 : 176;
    const bytes = await transcode(input, 'out.mp4', [
      ...['-vf', `scale='min(${width},iw)':-2`, '-r', '15', '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-b:v', String(vbps), '-maxrate', String(vbps), '-bufsize', String(vbps * 2)],
      ...['-c:a', 'aac', '-ac', '1', '-ar', '22050', '-b:a', String(VIDEO_AUDIO_BPS), '-movflags', '+faststart', '-f', 'mp4'],
    ]);
    if (bytes.length <= budget) return { bytes, type: 'video/mp4', ext: 'mp4' };
  }
  throw new MediaRefused(`cannot be made to fit in ${budget} bytes: ${seconds.toFixed(1)} s of video would need less than ${(MIN_VIDEO_BPS + VIDEO_AUDIO_BPS) / 1000} kbit/s`);
}
