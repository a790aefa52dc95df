import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

/** Audio made by ffmpeg itself: a tone of `seconds` in `format` (wav, mp3, ogg). */
const tone = (seconds: number, format: string): Buffer => spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-f', format, 'pipe:1'], { maxBuffer: 64 * 1024 * 1024 }).stdout;

let d: TestDaemon | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await d?.close();
  d = undefined;
  for (const c of closers.splice(0)) await c();
});

const voiceJob = (audiofile: Record<string, unknown>) => ({ job_type: 'voice', job_name: 'test voice', audiofile, recipients: [{ destination: '+61491570156' }] });

describe("voice jobs: the job's own audio", () => {
  it('converts a base64 file (wav, mp3, ogg) to 8 kHz WAV once per distinct file, and sends it', async () => {
    d = await testDaemon({ media: { max_audio_seconds: 5 } });
    const u = d.addUser('v', 'user');
    const paths: string[] = [];
    for (const format of ['wav', 'mp3', 'ogg']) {
      const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: voiceJob({ name: `message.${format}`, base64content: tone(1, format).toString('base64') }) });
      expect([format, r.status]).toEqual([format, 200]);
      const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(r.json.data) as { content: string }).content);
      expect(content.recording.name).toBe(`message.${format}`);
      expect(content.recording.file).toMatch(/\/media\/audio\/[0-9a-f]{64}\.wav$/);
      const wav = readFileSync(content.recording.file);
      expect([wav.readUInt16LE(22), wav.readUInt32LE(24), wav.readUInt16LE(34)]).toEqual([1, 8000, 16]);
      paths.push(content.recording.file);
      await d.waitFor(() => (d!.db.prepare('SELECT status FROM jobs WHERE id = ?').get(r.json.data) as { status: string }).status === 'complete');
    }
    expect(new Set(paths).size).toBe(3);
    const again = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: voiceJob({ name: 'same.wav', base64content: tone(1, 'wav').toString('base64') }) });
    const content = JSON.parse((d.db.prepare('SELECT content FROM jobs WHERE id = ?').get(again.json.data) as { content: string }).content);
    expect(content.recording.file).toBe(paths[0]); // the same file, converted once
  });

  it('refuses what is not audio, too long, too large, not base64, or from a refused address — naming the file, storing nothing', async () => {
    const server = http.createServer((_req, res) => res.end(tone(1, 'mp3')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/voicefile.mp3`;
    d = await testDaemon({ media: { max_audio_seconds: 2, max_audio_mb: 0.1 } });
    const u = d.addUser('v', 'user');
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'notes.txt', base64content: Buffer.from('these are not sounds').toString('base64') }, /audiofile "notes\.txt": is not audio/],
      [{ name: 'long.wav', base64content: tone(4, 'mp3').toString('base64') }, /audiofile "long\.wav": longer than 2 seconds/],
      [{ name: 'big.wav', base64content: tone(4, 'wav').toString('base64') }, /audiofile "big\.wav": larger than/],
      [{ name: 'bad.wav', base64content: '***not base64***' }, /audiofile "bad\.wav": base64content is not valid base64/],
      [{ name: '../../etc/passwd', base64content: Buffer.from('x').toString('base64') }, /audiofile "\.\.\/\.\.\/etc\/passwd": is not audio/],
      [{ name: 'local.mp3', url }, /audiofile "local\.mp3": could not be fetched: .*(loopback|private|refused)/i],
      [{ name: 'ftp.mp3', url: 'ftp://example.com/x.mp3' }, /could not be fetched: only http and https/],
    ];
    for (const [file, pattern] of cases) {
      const r = await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: voiceJob(file) });
      expect([file.name, r.status]).toEqual([file.name, 422]);
      expect(r.json.errors).toMatch(pattern);
    }
    expect((await d.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'voice', recipients: [{ destination: '+61491570156' }] } })).json.errors).toMatch(/audiofile: is required/);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 0 });
    expect(
      existsSync(`${d.dir}/media/audio`)
        ? spawnSync('ls', [`${d.dir}/media/audio`])
            .stdout.toString()
            .trim()
        : '',
    ).toBe('');
    await d.close();
    // The same URL, allowed by the operator.
    d = await testDaemon({ media: { allow_private: ['127.0.0.1'] } });
    const u2 = d.addUser('v', 'user');
    expect((await d.api('POST', '/api/v1/jobs', { auth: u2.auth, body: voiceJob({ name: 'voicemessage.mp3', url }) })).status).toBe(200);
  });
});
