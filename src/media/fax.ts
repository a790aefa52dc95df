import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaToolError, runTool } from './run.js';
import { MediaRefused } from './refused.js';
import { reuseStored, writeStored } from './store-file.js';
import { isOfficeType, OFFICE_TYPES, type OfficeConverter } from './office.js';

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
  /** Renders doc/docx/xls/xlsx/ppt/pptx; without one, office documents are refused. */
  office?: OfficeConverter;
  /** Told as each document is made a PDF and before the fax is rendered (`done` of `total` steps): the CLI's progress line. */
  onStep?: (done: number, total: number, what: string) => void;
}

/** The types this build converts, by extension, and the magic bytes their content must start with. */
const isPdf = (b: Buffer) => b.subarray(0, 5).toString('latin1') === '%PDF-';
const TYPES: Record<string, { magic: (b: Buffer) => boolean }> = {
  pdf: { magic: isPdf },
  // PDF/X (print-ready PDF) is PDF to ghostscript; the seed lists its own extension.
  pdfx: { magic: isPdf },
  txt: { magic: (b) => !b.subarray(0, 4096).includes(0) },
  png: { magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  jpg: { magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  jpeg: { magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  gif: { magic: (b) => /^GIF8[79]a$/.test(b.subarray(0, 6).toString('latin1')) },
  tif: { magic: (b) => ['II*\u0000', 'MM\u0000*'].includes(b.subarray(0, 4).toString('latin1')) },
  tiff: { magic: (b) => ['II*\u0000', 'MM\u0000*'].includes(b.subarray(0, 4).toString('latin1')) },
  ...OFFICE_TYPES,
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

/** Every input becomes PDF pages first, so one ghostscript pass renders, fits and joins them all. */
async function asPdf(ext: string, input: FaxInput, dir: string, i: number, office?: OfficeConverter): Promise<Buffer> {
  if (ext === 'pdf' || ext === 'pdfx') return input.bytes;
  if (isOfficeType(ext)) {
    if (!office) throw new MediaRefused(`"${input.name}": office documents are not converted here (no LibreOffice)`);
    return office.toPdf(input.name, ext, input.bytes);
  }
  if (ext === 'txt') return textToPdf(input.bytes.toString('utf8'));
  if (ext === 'tif' || ext === 'tiff') {
    const src = join(dir, `${i}.src.tif`);
    writeFileSync(src, input.bytes);
    try {
      await runTool('tiff2pdf', ['-o', join(dir, `${i}.tiff.pdf`), src], { timeoutMs: 60_000 });
    } catch {
      throw new MediaRefused(`"${input.name}": is not a TIFF that can be read`);
    }
    return readFileSync(join(dir, `${i}.tiff.pdf`));
  }
  return imageToPdf(input);
}

/**
 * An image → one PDF page of bitonal pixels at fax resolution: flattened on white, fitted to the page,
 * then thresholded (drawings, text) or error-diffused (photos: many mid-tones), as a fax shows it.
 */
async function imageToPdf(input: FaxInput): Promise<Buffer> {
  let grey: { data: Buffer; info: { width: number; height: number } };
  try {
    grey = await sharp(input.bytes, { limitInputPixels: 100_000_000 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .greyscale()
      .resize({ width: FAX_WIDTH, height: HEIGHT.fine, fit: 'inside', withoutEnlargement: false })
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new MediaRefused(`"${input.name}": is not an image that can be read (${(err as Error).message.slice(0, 100)})`);
  }
  const { width, height } = grey.info;
  const bits = bitonal(grey.data, width, height);
  const png = await sharp(bits, { raw: { width, height, channels: 1 } })
    .png({ palette: true, colours: 2 })
    .toBuffer();
  const doc = await PDFDocument.create();
  const page = doc.addPage([595.28, 841.89]);
  const img = await doc.embedPng(png);
  const scale = Math.min(595.28 / width, 841.89 / height);
  page.drawImage(img, { x: (595.28 - width * scale) / 2, y: 841.89 - height * scale, width: width * scale, height: height * scale });
  return Buffer.from(await doc.save());
}

/** Grey pixels → black or white: a plain threshold, or Floyd–Steinberg when most pixels are mid-tones. */
export function bitonal(grey: Buffer, width: number, height: number): Buffer {
  let mid = 0;
  for (let i = 0; i < grey.length; i += 7) if (grey[i]! > 40 && grey[i]! < 215) mid++;
  const photo = mid / (grey.length / 7) > 0.3;
  const out = Buffer.alloc(grey.length);
  if (!photo) {
    for (let i = 0; i < grey.length; i++) out[i] = grey[i]! < 160 ? 0 : 255;
    return out;
  }
  const err = new Float32Array(grey.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = grey[i]! + err[i]!;
      const q = v < 128 ? 0 : 255;
      out[i] = q;
      const e = v - q;
      if (x + 1 < width) err[i + 1]! += (e * 7) / 16;
      if (y + 1 < height) {
        if (x > 0) err[i + width - 1]! += (e * 3) / 16;
        err[i + width]! += (e * 5) / 16;
        if (x + 1 < width) err[i + width + 1]! += e / 16;
      }
    }
  }
  return out;
}

/**
 * Documents → one multi-page fax TIFF: 1728 px wide, 204×196 or 204×98 dpi, 1-bit, CCITT G4 (or G3),
 * every page fitted to A4, files concatenated in order. PDF through ghostscript's tiffg4/tiffg3
 * device; office documents through LibreOffice (a long-lived listener) to PDF; text through pdf-lib; images through sharp (bitonal at fax resolution); TIFF through
 * tiff2pdf. Returns the TIFF and its page count.
 */
export async function toFaxTiff(inputs: FaxInput[], opts: FaxOptions = {}): Promise<{ tiff: Buffer; pages: number }> {
  if (inputs.length === 0) throw new MediaRefused('no documents');
  const dir = mkdtempSync(join(tmpdir(), 'switchpost-fax-'));
  try {
    const pdfs: string[] = [];
    const steps = inputs.length + 1;
    for (const [i, input] of inputs.entries()) {
      opts.onStep?.(i, steps, input.name);
      const ext = extension(input.name);
      const type = Object.hasOwn(TYPES, ext) ? TYPES[ext] : undefined;
      if (!type) throw new MediaRefused(`"${input.name}": type .${ext || '?'} is not supported (${Object.keys(TYPES).join(', ')})`);
      if (input.bytes.length === 0) throw new MediaRefused(`"${input.name}": is empty`);
      if (!type.magic(input.bytes)) throw new MediaRefused(`"${input.name}": its content is not a ${ext} file`);
      // Files inside the work directory are named by position: a client's file name never reaches a path.
      const file = join(dir, `${i}.pdf`);
      writeFileSync(file, await asPdf(ext, input, dir, i, opts.office));
      pdfs.push(file);
    }
    const out = join(dir, 'fax.tif');
    const fine = opts.fine === true;
    opts.onStep?.(inputs.length, steps, 'rendering the fax pages');
    try {
      await runTool(
        'gs',
        [
          '-q',
          '-dNOPAUSE',
          '-dBATCH',
          '-dSAFER',
          '-dNOINTERPOLATE',
          `-sDEVICE=${opts.compression === 'g3' ? 'tiffg32d' : 'tiffg4'}`,
          `-r204x${fine ? 196 : 98}`,
          `-g${FAX_WIDTH}x${fine ? HEIGHT.fine : HEIGHT.normal}`,
          '-dFIXEDMEDIA',
          '-dPDFFitPage',
          '-dAutoRotatePages=/PageByPage',
          `-sOutputFile=${out}`,
          ...pdfs,
        ],
        { timeoutMs: 120_000 },
      );
    } catch (err) {
      throw new MediaRefused(`a document could not be rendered (corrupt, encrypted or not a document): ${err instanceof MediaToolError ? err.message.slice(0, 200) : String(err)}`);
    }
    // ghostscript may "succeed" on a broken file and write nothing at all.
    if (!existsSync(out)) throw new MediaRefused('a document could not be rendered (corrupt, encrypted or not a document)');
    const tiff = readFileSync(out);
    const pages = tiffPages(tiff);
    if (pages === 0) throw new MediaRefused('the documents have no pages');
    opts.onStep?.(steps, steps, `${pages} page(s)`);
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

/**
 * A fax job's files → one TIFF in `dir`, named by the hash of the inputs and resolution: a job is
 * converted once, and the same documents sent again are not converted again.
 */
export async function prepareFax(inputs: FaxInput[], dir: string, opts: FaxOptions = {}): Promise<{ path: string; pages: number }> {
  const h = createHash('sha256')
    .update(opts.fine ? 'fine' : 'normal')
    .update(opts.compression ?? 'g4');
  for (const i of inputs) h.update(extension(i.name)).update('\u0000').update(i.bytes).update('\u0001');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${h.digest('hex')}.tif`);
  // Taken again (its time set, so that a retention sweep leaves it); one removed meanwhile is made again.
  if (reuseStored(path)) {
    try {
      return { path, pages: tiffPages(readFileSync(path)) };
    } catch {
      // removed between the two: converted below
    }
  }
  const { tiff, pages } = await toFaxTiff(inputs, opts);
  const tmp = `${path}.${process.pid}.tmp`;
  writeStored(tmp, path, tiff);
  prepared++;
  return { path, pages };
}

let prepared = 0;
/** Conversions made by this process (the benchmark counts them). */
export const faxConversions = (): number => prepared;
