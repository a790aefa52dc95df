import { spawn } from 'node:child_process';

export class MediaToolError extends Error {
  override name = 'MediaToolError';
}

/**
 * Run a media tool with an argument array (never a shell), optional stdin, a time limit and an output
 * cap; resolves with stdout. ffmpeg and espeak-ng go through here only.
 */
export function runTool(cmd: string, args: string[], opts: { input?: Buffer | string; timeoutMs?: number; maxOutput?: number } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new MediaToolError(`${cmd} took longer than ${opts.timeoutMs} ms`));
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (d: Buffer) => {
      size += d.length;
      if (size > (opts.maxOutput ?? 64 * 1024 * 1024)) {
        child.kill('SIGKILL');
        return reject(new MediaToolError(`${cmd} produced more than ${opts.maxOutput} bytes`));
      }
      out.push(d);
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new MediaToolError(`${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new MediaToolError(`${cmd} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Any audio ffmpeg reads → 8 kHz mono 16-bit PCM WAV, without metadata chunks. */
export function toTelephonyWav(input: Buffer, opts: { maxSeconds?: number; timeoutMs?: number } = {}): Promise<Buffer> {
  return runTool(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', ...(opts.maxSeconds ? ['-t', String(opts.maxSeconds)] : []), '-ar', '8000', '-ac', '1', '-c:a', 'pcm_s16le', '-map_metadata', '-1', '-fflags', '+bitexact', '-f', 'wav', 'pipe:1'],
    { input, timeoutMs: opts.timeoutMs ?? 60_000 },
  );
}
