import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { TtsRenderer } from '../../dist/media/tts.js';
import { toTelephonyWav } from '../../dist/media/run.js';

const hasTools = spawnSync('espeak-ng', ['--version']).status === 0 && spawnSync('ffmpeg', ['-version']).status === 0;

/** The fmt chunk of a RIFF/WAVE file. */
function wavFormat(b: Buffer) {
  expect(b.toString('ascii', 0, 4)).toBe('RIFF');
  expect(b.toString('ascii', 8, 12)).toBe('WAVE');
  let o = 12;
  while (o < b.length) {
    const id = b.toString('ascii', o, o + 4);
    const size = b.readUInt32LE(o + 4);
    if (id === 'fmt ') return { format: b.readUInt16LE(o + 8), channels: b.readUInt16LE(o + 10), rate: b.readUInt32LE(o + 12), bits: b.readUInt16LE(o + 22) };
    o += 8 + size;
  }
  throw new Error('no fmt chunk');
}

describe.skipIf(!hasTools)('text to speech with espeak-ng and ffmpeg', () => {
  it('renders 8 kHz mono 16-bit PCM WAV, once per distinct text and voice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tts-'));
    const tts = new TtsRenderer(dir);
    const [a, b] = await Promise.all([tts.render('Hello, this is a test call.', 'sophie'), tts.render('Hello, this is a test call.', 'sophie')]);
    expect(a).toBe(b);
    const wav = readFileSync(a);
    expect(wavFormat(wav)).toEqual({ format: 1, channels: 1, rate: 8000, bits: 16 });
    expect(wav.length).toBeGreaterThan(8000); // over half a second of speech
    const mtime = statSync(a).mtimeMs;
    expect(await tts.render('Hello, this is a test call.', 'Sophie')).toBe(a); // cached, not rendered again
    expect(statSync(a).mtimeMs).toBe(mtime);
    expect(await tts.render('Hello, this is a test call.', 'jack')).not.toBe(a);
    await expect(tts.render('x', 'klingon')).rejects.toThrow(/unknown voice/);
    // Text that looks like options or shell goes on stdin and is only spoken.
    const odd = await tts.render('--help; rm -rf / $(reboot) `id`', 'default');
    expect(wavFormat(readFileSync(odd)).rate).toBe(8000);
  });

  it('converts other audio to telephony WAV and refuses what is not audio', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tts-'));
    const src = await new TtsRenderer(dir).render('Conversion test', 'default');
    const wav = await toTelephonyWav(readFileSync(src));
    expect(wavFormat(wav)).toEqual({ format: 1, channels: 1, rate: 8000, bits: 16 });
    await expect(toTelephonyWav(Buffer.from('this is not audio at all'))).rejects.toThrow(/ffmpeg exited/);
  });

  it('is exposed to operators as switchpost convert tts|audio', () => {
    const dir = mkdtempSync(join(tmpdir(), 'convert-'));
    const env = { ...process.env, SWITCHPOST_DATA_DIR: dir };
    const tts = spawnSync('node', ['dist/cli.js', 'convert', 'tts', 'Press one to confirm.', join(dir, 'prompt.wav'), '--voice', 'jack'], { env, encoding: 'utf8' });
    expect(tts.status, tts.stderr).toBe(0);
    expect(wavFormat(readFileSync(join(dir, 'prompt.wav')))).toEqual({ format: 1, channels: 1, rate: 8000, bits: 16 });
    const audio = spawnSync('node', ['dist/cli.js', 'convert', 'audio', join(dir, 'prompt.wav'), join(dir, 'again.wav'), '--max-seconds', '1'], { env, encoding: 'utf8' });
    expect(audio.status, audio.stderr).toBe(0);
    const again = readFileSync(join(dir, 'again.wav'));
    expect(wavFormat(again).rate).toBe(8000);
    expect(again.length).toBeLessThanOrEqual(44 + 16000 + 64); // at most one second of 8 kHz 16-bit
    const bad = spawnSync('node', ['dist/cli.js', 'convert', 'tts', 'x', join(dir, 'x.wav'), '--voice', 'klingon'], { env, encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/unknown voice "klingon"/);
  });
});
