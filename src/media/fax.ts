import { PDFDocument, StandardFonts } from 'pdf-lib';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaToolError, runTool } from './run.js';

/** A document refused for a fax; the face answers 422 naming the file. */
export class FaxDocumentRefused extends Error {
  override name = 'FaxDocumentRefused';
}

export interface FaxInput {
  /** As the client named it: used for the type only, never for a path. */
  name: string;
  bytes: Buffer;
}

export interface FaxOptions {
  /** 204×196 dpi ("fine", use_high_resolution) instead of 204×98. */
  fine?: boolean;
  /** CCITT G4 (default) or G3 (T.4 2D) for receivers that lack T.6. */
  compression?: 'g4' | 'g3';
}

/** The types this build converts, by extension, and the magic bytes their content must start with. */
const TYPES: Record<string, { magic: (b: Buffer) => boolean }> = {
  pdf: { magic: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  txt: { magic: (b) => !b.subarray(0, 4096).includes(0) },
};

export const FAX_WIDTH = 1728;
// A4 at 196 and 98 lines per inch: the page height a fax receiver expects.
const HEIGHT = { fine: 2292, normal: 1146 };

const extension = (name: string): string => /\.([A-Za-z0-9]{1,5})$/.exec(name)?.[1]?.toLowerCase() ?? '';

/** Plain text → PDF pages (A4, Courier 10 pt, wrapped), with pdf-lib. */
async function textToPdf(text: string): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Courier);
  const size = 10;
  const [width, height] = [595.28, 841.89];
  const margin = 50;
  const perLine = Math.floor((width - 2 * margin) / font.widthOfTextAtSize('M', size));
  const lines = text
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    .split('\n')
    .flatMap((l) => (l.length === 0 ? [''] : (l.match(new RegExp(`.{1,${perLine}}`, 'g')) ?? [''])));
  const perPage = Math.floor((height - 2 * margin) / (size * 1.2));
  for (let i = 0; i < Math.max(1, lines.length); i += perPage) {
    const page = doc.addPage([width, height]);
    lines.slice(i, i + perPage).forEach((line, j) => {
      // Courier's WinAnsi covers Latin-1; anything else is shown as "?".
      const safe = [...line].map((c) => (c.charCodeAt(0) <= 0xff && c.charCodeAt(0) >= 0x20 ? c : '?')).join('');
      page.drawText(safe, { x: margin, y: height - margin - (j + 1) * size * 1.2, size, font });
    });
  }
  return Buffer.from(await doc.save());
}

/**
 * Documents → one multi-page fax TIFF: 1728 px wide, 204×196 or 204×98 dpi, 1-bit, CCITT G4 (or G3),
 * every page fitted to A4, files concatenated in order. PDF through ghostscript's tiffg4/tiffg3
 * device; text through pdf-lib first. Returns the TIFF and its page count.
 */
export async function toFaxTiff(inputs: FaxInput[], opts: FaxOptions = {}): Promise<{ tiff: Buffer; pages: number }> {
  if (inputs.length === 0) throw new FaxDocumentRefused('no documents');
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-fax-'));
  try {
    const pdfs: string[] = [];
    for (const [i, input] of inputs.entries()) {
      const ext = extension(input.name);
      const type = TYPES[ext];
      if (!type) throw new FaxDocumentRefused(`"${input.name}": type .${ext || '?'} is not supported (${Object.keys(TYPES).join(', ')})`);
      if (input.bytes.length === 0) throw new FaxDocumentRefused(`"${input.name}": is empty`);
      if (!type.magic(input.bytes)) throw new FaxDocumentRefused(`"${input.name}": its content is not a ${ext} file`);
      // Files inside the work directory are named by position: a client's file name never reaches a path.
      const file = join(dir, `${i}.pdf`);
      writeFileSync(file, ext === 'txt' ? await textToPdf(input.bytes.toString('utf8')) : input.bytes);
      pdfs.push(file);
    }
    const out = join(dir, 'fax.tif');
    const fine = opts.fine === true;
    try {
      await runTool(
        'gs',
        ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-dNOINTERPOLATE', `-sDEVICE=${opts.compression === 'g3' ? 'tiffg32d' : 'tiffg4'}`, `-r204x${fine ? 196 : 98}`, `-g${FAX_WIDTH}x${fine ? HEIGHT.fine : HEIGHT.normal}`, '-dFIXEDMEDIA', '-dPDFFitPage', '-dAutoRotatePages=/PageByPage', `-sOutputFile=${out}`, ...pdfs],
        { timeoutMs: 120_000 },
      );
    } catch (err) {
      throw new FaxDocumentRefused(`a document could not be rendered (corrupt, encrypted or not a document): ${err instanceof MediaToolError ? err.message.slice(0, 200) : String(err)}`);
    }
    // ghostscript may "succeed" on a broken file and write nothing at all.
    if (!existsSync(out)) throw new FaxDocumentRefused('a document could not be rendered (corrupt, encrypted or not a document)');
    const tiff = readFileSync(out);
    const pages = tiffPages(tiff);
    if (pages === 0) throw new FaxDocumentRefused('the documents have no pages');
    return { tiff, pages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Pages (IFDs) in a TIFF, by walking its IFD chain. */
export function tiffPages(b: Buffer): number {
  if (b.length < 8) return 0;
  const le = b.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  let off = u32(4);
  let n = 0;
  while (off > 0 && off + 2 <= b.length && n < 10_000) {
    n++;
    off = u32(off + 2 + u16(off) * 12);
  }
  return n;
}
