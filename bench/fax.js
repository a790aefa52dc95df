// Benchmark (not a test): issue 5's first figure. A 100-page PDF to a fine fax TIFF through the daemon's
// converter, and in the same run bare ghostscript with the same device and arguments (target: >= 90%
// of bare ghostscript's pages/s). Office documents and the 1,000-recipient job come with the rest of
// issue 5.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { toFaxTiff } from '../dist/media/fax.js';

const PAGES = Number(process.env.BENCH_PAGES ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'switchpost-bench-fax-'));
const doc = await PDFDocument.create();
const font = await doc.embedFont(StandardFonts.Helvetica);
for (let i = 1; i <= PAGES; i++) {
  const page = doc.addPage([595.28, 841.89]);
  for (let l = 0; l < 40; l++) page.drawText(`Page ${i}, line ${l + 1}: the quick brown fox jumps over the lazy dog 0123456789`, { x: 50, y: 790 - l * 18, size: 11, font });
}
const pdf = Buffer.from(await doc.save());
const file = join(dir, 'in.pdf');
writeFileSync(file, pdf);

const runs = Number(process.env.BENCH_RUNS ?? 3);
const ours = [];
const bare = [];
for (let r = 0; r < runs; r++) {
  let t = performance.now();
  const { pages } = await toFaxTiff([{ name: 'in.pdf', bytes: pdf }], { fine: true });
  ours.push(performance.now() - t);
  if (pages !== PAGES) throw new Error(`expected ${PAGES} pages, got ${pages}`);
  t = performance.now();
  const g = spawnSync('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-dNOINTERPOLATE', '-sDEVICE=tiffg4', '-r204x196', '-g1728x2292', '-dFIXEDMEDIA', '-dPDFFitPage', '-dAutoRotatePages=/PageByPage', `-sOutputFile=${join(dir, 'bare.tif')}`, file]);
  bare.push(performance.now() - t);
  if (g.status !== 0) throw new Error('bare ghostscript failed');
}
const best = (xs) => Math.min(...xs);
const rate = (ms) => PAGES / (ms / 1000);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; ${PAGES}-page PDF, 204x196 G4, best of ${runs}`);
console.log(`switchpost converter: ${(best(ours) / 1000).toFixed(2)} s = ${rate(best(ours)).toFixed(1)} pages/s`);
console.log(`bare ghostscript:     ${(best(bare) / 1000).toFixed(2)} s = ${rate(best(bare)).toFixed(1)} pages/s`);
console.log(`converter / bare: ${((rate(best(ours)) / rate(best(bare))) * 100).toFixed(0)}% (target >= 90%)`);
rmSync(dir, { recursive: true, force: true });
