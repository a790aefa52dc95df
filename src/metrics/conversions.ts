import { Histogram, type Registry } from 'prom-client';

/** What the daemon converts: documents to fax TIFF, audio to 8 kHz WAV (and joined), text to speech, MMS media fitted. */
export type ConversionKind = 'fax' | 'audio' | 'audio_join' | 'tts' | 'mms';

/** A conversion run under a timer: what a converter takes to be measured (the media layer knows no metrics). */
export type Timed = <T>(kind: ConversionKind, run: () => Promise<T>) => Promise<T>;

// From a cached TTS file (milliseconds) to a long office document (tens of seconds).
const BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * Conversions by kind and result, with their duration (issue 19): the histogram's _count is the
 * conversions by kind, its _sum the time they took. A conversion that fails (a document LibreOffice
 * cannot open, audio too long) counts as result="failed".
 */
export function conversionMetrics(registry: Registry): Timed {
  const duration = new Histogram({
    name: 'switchpost_conversion_duration_seconds',
    help: 'Media conversions by kind (fax, audio, audio_join, tts, mms) and result (ok, failed), and how long each took.',
    labelNames: ['kind', 'result'],
    buckets: BUCKETS,
    registers: [registry],
  });
  return async (kind, run) => {
    const end = duration.startTimer({ kind });
    try {
      const out = await run();
      end({ result: 'ok' });
      return out;
    } catch (err) {
      end({ result: 'failed' });
      throw err;
    }
  };
}
