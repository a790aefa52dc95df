import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { fitMedia, prepareMmsMedia, MMS_RESERVED_BYTES } from '../../dist/media/mms.js';
import { sniff } from '../../dist/media/sniff.js';
import { MediaRefused } from '../../dist/media/refused.js';
import { AddressPolicy } from '../../dist/net/address-policy.js';
import { lavfi, noisyGif, noisyJpeg } from '../helpers/mms-media.js';

const dir = mkdtempSync(join(tmpdir(), 'mms-fit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const limits = (maxBytes: number) => ({ maxBytes, maxInputMb: 20, fetchTimeoutMs: 5000, policy: new AddressPolicy([]) });
const b64 = (b: Buffer) => b.toString('base64');

describe('MMS media: sniffed and fitted once per job', () => {
  it('scales a large JPEG photo down within the budget, still a JPEG, and stores it by the hash of its bytes', async () => {
    const photo = await noisyJpeg(2000, 1500, 90);
    expect(photo.length).toBeGreaterThan(300 * 1024);
    const [m] = await prepareMmsMedia([{ name: 'photo.png', base64content: b64(photo) }], dir, limits(300 * 1024));
    expect(m!.contentType).toBe('image/jpeg');
    expect(m!.size).toBeLessThanOrEqual(300 * 1024 - MMS_RESERVED_BYTES);
    const stored = readFileSync(m!.file);
    expect(createHash('sha256').update(stored).digest('hex')).toBe(m!.sha256);
    expect(m!.file).toBe(join(dir, `${m!.sha256}.jpg`));
    const meta = await sharp(stored).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThan(2000);
    // The client's name ("photo.png") never decides the type: the bytes do.
    expect(m!.name).toBe('photo.png');
  });

  it('keeps a file that already fits byte for byte', async () => {
    const small = await noisyJpeg(200, 150, 70);
    const f = await fitMedia(small, 100_000);
    expect(f.bytes.equals(small)).toBe(true);
    expect(f.type).toBe('image/jpeg');
  });

  it('turns a large PNG into a JPEG that fits', async () => {
    const png = await sharp(await noisyJpeg(1200, 900, 95))
      .png()
      .toBuffer();
    expect(sniff(png)).toEqual({ family: 'image', type: 'image/png' });
    const f = await fitMedia(png, 100_000);
    expect(f.type).toBe('image/jpeg');
    expect(f.bytes.length).toBeLessThanOrEqual(100_000);
  });

  it('keeps an animated GIF animated: every frame scaled', async () => {
    const gif = await noisyGif(300, 6);
    expect(gif.length).toBeGreaterThan(150_000);
    const f = await fitMedia(gif, 150_000);
    expect(f.type).toBe('image/gif');
    expect(f.bytes.length).toBeLessThanOrEqual(150_000);
    const meta = await sharp(f.bytes, { animated: true }).metadata();
    expect(meta.pages).toBe(6);
    expect(meta.pageHeight).toBeLessThan(300);
  });

  it('re-encodes audio (WAV) to MP3 at the bit rate that fits its length', async () => {
    const wav = lavfi('wav', 20);
    expect(wav.length).toBeGreaterThan(500_000);
    const f = await fitMedia(wav, 100_000);
    expect(f.type).toBe('audio/mpeg');
    expect(f.bytes.length).toBeLessThanOrEqual(100_000);
    expect(sniff(f.bytes)?.type).toBe('audio/mpeg');
  });

  it('re-encodes video to an H.264 MP4 that fits', { timeout: 60_000 }, async () => {
    const mp4 = lavfi('mp4', 6);
    expect(mp4.length).toBeGreaterThan(300_000);
    const f = await fitMedia(mp4, 200_000);
    expect(f.type).toBe('video/mp4');
    expect(f.bytes.length).toBeLessThanOrEqual(200_000);
  });

  it('refuses, naming the file, what cannot fit or is not media', async () => {
    const long = lavfi('mp3', 600);
    await expect(prepareMmsMedia([{ name: 'talk.mp3', base64content: b64(long) }], dir, limits(50 * 1024))).rejects.toThrow(/^"talk\.mp3": cannot be made to fit in \d+ bytes: 600\.\d s of audio/);
    await expect(prepareMmsMedia([{ name: 'notes.jpg', base64content: b64(Buffer.from('%PDF-1.4 not a picture')) }], dir, limits(300 * 1024))).rejects.toBeInstanceOf(MediaRefused);
    await expect(prepareMmsMedia([{ name: 'notes.jpg', base64content: b64(Buffer.from('%PDF-1.4 not a picture')) }], dir, limits(300 * 1024))).rejects.toThrow('"notes.jpg": is not an image (JPEG, PNG, GIF), audio or video file');
  });

  it('stores the same fitted file once however often it is given', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'mms-once-'));
    const photo = await noisyJpeg(200, 150, 70);
    const media = await prepareMmsMedia(
      [
        { name: 'a.jpg', base64content: b64(photo) },
        { name: 'b.jpg', base64content: b64(photo) },
      ],
      d2,
      limits(300 * 1024),
    );
    expect(media[0]!.file).toBe(media[1]!.file);
    expect(readdirSync(d2)).toHaveLength(1);
    rmSync(d2, { recursive: true, force: true });
  });
});
