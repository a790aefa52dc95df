import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, toTelephonyWav } from './run.js';
import { writeStored } from './store-file.js';

/** The seed's voice names → espeak-ng voices installed from Debian's package (README lists them). */
export const VOICES: Record<string, string> = {
  default: 'en-us',
  sophie: 'en-gb+f3',
  emma: 'en-gb+f2',
  olivia: 'en-us+f3',
  jack: 'en-gb+m3',
  james: 'en-us+m3',
  oliver: 'en-gb-x-rp+m1',
  nicole: 'en-us+f4',
  russell: 'en-gb-scotland+m2',
};

export const isVoice = (name: string): boolean => Object.hasOwn(VOICES, name.toLowerCase());

export const MAX_TTS_CHARS = 4000;

/**
 * Text → 8 kHz mono 16-bit WAV in `dir`, named by the hash of voice and text: rendered once per
 * distinct text, then served from disk. Identical texts asked for at once share one render.
 */
export class TtsRenderer {
  private readonly inFlight = new Map<string, Promise<string>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly dir: string,
    private readonly concurrency = 4,
    /** Wraps each render (not a file served from disk): the daemon times them for its metrics. */
    private readonly timed: <T>(run: () => Promise<T>) => Promise<T> = (run) => run(),
  ) {
    mkdirSync(dir, { recursive: true });
  }

  fileFor(text: string, voice: string): string {
    return join(this.dir, `${createHash('sha256').update(`${voice}\u0000${text}`).digest('hex')}.wav`);
  }

  render(text: string, voice = 'default'): Promise<string> {
    const espeakVoice = VOICES[voice.toLowerCase()];
    if (!espeakVoice) return Promise.reject(new Error(`unknown voice "${voice}"`));
    if (text.length > MAX_TTS_CHARS) return Promise.reject(new Error(`text longer than ${MAX_TTS_CHARS} characters`));
    const file = this.fileFor(text, espeakVoice);
    if (existsSync(file)) return Promise.resolve(file);
    let p = this.inFlight.get(file);
    if (!p) {
      p = this.limited(() =>
        this.timed(async () => {
          // Text goes on stdin, never on a command line.
          const raw = await runTool('espeak-ng', ['--stdin', '-v', espeakVoice, '-s', '150', '--stdout'], { input: text, timeoutMs: 60_000 });
          const wav = await toTelephonyWav(raw);
          const tmp = `${file}.${process.pid}.tmp`;
          writeStored(tmp, file, wav);
          return file;
        }),
      ).finally(() => this.inFlight.delete(file));
      this.inFlight.set(file, p);
    }
    return p;
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
