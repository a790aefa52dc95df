import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { runTool } from './run.js';
import { writeStored } from './store-file.js';

/** What became of a received fax's TIFF: the PDF written (null: no page arrived) and its pages. */
export interface ReceivedDocument {
  pdf: string | null;
  pages: number;
}

export interface ReceivedFaxOptions {
  /** tiff2pdf's time limit. */
  timeoutMs?: number;
  /** A TIFF larger than this is not converted (a fax of hundreds of pages is not a fax). */
  maxBytes?: number;
}

/**
 * The TIFF that spandsp's rxfax wrote → a PDF at `pdfPath`, one PDF page per fax page, each page the
 * size the fax's resolution makes it (tiff2pdf reads X/YResolution): a short page stays short, never
 * stretched to A4 or cut. No file, or an empty one, means no page arrived (spandsp creates the file
 * with the first page): `pdf` null. A partial fax's TIFF holds the pages that did arrive; they are
 * kept. The page count is read back from the PDF written, so it says what the owner gets.
 */
export async function receivedFaxToPdf(tiffPath: string, pdfPath: string, opts: ReceivedFaxOptions = {}): Promise<ReceivedDocument> {
  if (!existsSync(tiffPath) || statSync(tiffPath).size === 0) return { pdf: null, pages: 0 };
  const size = statSync(tiffPath).size;
  if (size > (opts.maxBytes ?? 100 * 1024 * 1024)) throw new Error(`the received TIFF is ${size} bytes, more than a fax`);
  mkdirSync(dirname(pdfPath), { recursive: true });
  const tmp = `${pdfPath}.tmp-${process.pid}`;
  try {
    // -o: tiff2pdf writes the file itself; stdout stays empty. Argument array, no shell.
    await runTool('tiff2pdf', ['-o', tmp, '--', tiffPath], { timeoutMs: opts.timeoutMs ?? 60_000 });
    const bytes = readFileSync(tmp);
    const pages = (await PDFDocument.load(bytes, { updateMetadata: false })).getPageCount();
    if (pages === 0) return { pdf: null, pages: 0 };
    writeStored(`${tmp}.w`, pdfPath, bytes);
    return { pdf: pdfPath, pages };
  } finally {
    rmSync(tmp, { force: true });
  }
}
