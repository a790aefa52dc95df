/**
 * What a file is, from its first bytes (never from its name or a type the client claims): the
 * image formats an MMS carries, and the audio and video containers ffmpeg is then asked about.
 */
export type Sniffed = { family: 'image'; type: 'image/jpeg' | 'image/png' | 'image/gif' } | { family: 'media'; type: string } | null;

const startsWith = (b: Buffer, sig: number[], at = 0): boolean => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (b: Buffer, at: number, text: string): boolean => b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;

export function sniff(b: Buffer): Sniffed {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { family: 'image', type: 'image/jpeg' };
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { family: 'image', type: 'image/png' };
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return { family: 'image', type: 'image/gif' };
  // Containers: which of audio or video they hold is ffprobe's to say (media/mms.ts).
  if (ascii(b, 4, 'ftyp')) return { family: 'media', type: ascii(b, 8, '3gp') ? 'video/3gpp' : 'video/mp4' };
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return { family: 'media', type: 'audio/wav' };
  if (ascii(b, 0, '#!AMR')) return { family: 'media', type: 'audio/amr' };
  if (ascii(b, 0, 'OggS')) return { family: 'media', type: 'audio/ogg' };
  if (ascii(b, 0, 'ID3') || (b.length > 1 && b[0] === 0xff && (b[1]! & 0xe6) === 0xe2)) return { family: 'media', type: 'audio/mpeg' };
  if (b.length > 1 && b[0] === 0xff && (b[1]! & 0xf6) === 0xf0) return { family: 'media', type: 'audio/aac' };
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return { family: 'media', type: 'video/webm' };
  if (ascii(b, 0, 'fLaC')) return { family: 'media', type: 'audio/flac' };
  return null;
}
