import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

/** A photo-like JPEG of about `kb` KB: gradients under noise, which JPEG cannot squeeze away. */
export async function noisyJpeg(width: number, height: number, quality = 80): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      raw[o] = (rand() >> 1) + (x * 120) / width;
      raw[o + 1] = (rand() >> 1) + (y * 120) / height;
      raw[o + 2] = (rand() >> 1) + 60;
    }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

/** An animated GIF of `frames` noisy frames. */
export async function noisyGif(side: number, frames: number): Promise<Buffer> {
  const raw = Buffer.alloc(side * side * frames * 4);
  let seed = 7;
  for (let i = 0; i < raw.length; i++) raw[i] = i % 4 === 3 ? 255 : ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
  return sharp(raw, { raw: { width: side, height: side * frames, channels: 4, pageHeight: side } })
    .gif({ delay: Array(frames).fill(100) })
    .toBuffer();
}

/** Media made by ffmpeg's own test sources (lavfi), `seconds` long. */
export function lavfi(kind: 'mp3' | 'mp4' | 'wav', seconds: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'mms-media-'));
  try {
    const out = join(dir, `out.${kind}`);
    const args =
      kind === 'mp4'
        ? ['-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(seconds), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-b:v', '2M', '-c:a', 'aac']
        : kind === 'mp3'
          ? ['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(seconds), '-c:a', 'libmp3lame', '-b:a', '192k']
          : ['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', String(seconds), '-c:a', 'pcm_s16le'];
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args, out]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
