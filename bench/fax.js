// Benchmark (not a test): issue 5's figures.
// 1. A 100-page PDF to a fine fax TIFF through the daemon's converter, and in the same run bare
//    ghostscript with the same device and arguments (target: >= 90% of bare ghostscript's pages/s).
// 2. 10 office documents (the test fixtures: doc, docx, xls, xlsx, ppt, pptx): a fresh soffice per file
//    ("cold") against the converter's long-lived listener (target: <= 0.7 s per document to fax TIFF).
// 3. A fax job to 1,000 recipients through the daemon's v1 API: its conversions are counted (target:
//    exactly one).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { faxConversions, toFaxTiff } from '../dist/media/fax.js';
import { OfficeConverter } from '../dist/media/office.js';
import { benchDaemon } from './lib.js';

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

// 2. Office documents, cold and through the listener.
const fixtures = ['letter.doc', 'letter.docx', 'sheet.xls', 'sheet.xlsx', 'slides.ppt', 'slides.pptx'];
const docs = Array.from({ length: 10 }, (_, i) => fixtures[i % fixtures.length]);
const profile = mkdtempSync(join(dir, 'cold-profile-'));
spawnSync('soffice', ['--headless', '--norestore', `-env:UserInstallation=file://${profile}`, '--version']); // the profile exists before timing
let t = performance.now();
for (const [i, name] of docs.entries()) {
  const src = join(dir, `cold-${i}-${name}`);
  writeFileSync(src, readFileSync(new URL(`../test/fixtures/office/${name}`, import.meta.url)));
  const r = spawnSync('soffice', ['--headless', '--norestore', `-env:UserInstallation=file://${profile}`, '--convert-to', 'pdf', '--outdir', dir, src]);
  if (r.status !== 0) throw new Error(`soffice failed on ${name}`);
}
const cold = (performance.now() - t) / docs.length;
const office = new OfficeConverter({ workDir: join(dir, 'office') });
t = performance.now();
await office.toPdf('first.docx', 'docx', readFileSync(new URL('../test/fixtures/office/letter.docx', import.meta.url)));
const firstStart = performance.now() - t;
t = performance.now();
for (const name of docs) await office.toPdf(name, name.split('.')[1], readFileSync(new URL(`../test/fixtures/office/${name}`, import.meta.url)));
const warmPdf = (performance.now() - t) / docs.length;
t = performance.now();
for (const name of docs) await toFaxTiff([{ name, bytes: readFileSync(new URL(`../test/fixtures/office/${name}`, import.meta.url)) }], { office, fine: true });
const warmTiff = (performance.now() - t) / docs.length;
await office.stop();
console.log(
  `office, 10 documents: cold soffice per file ${(cold / 1000).toFixed(2)} s/doc (to PDF); listener ${(warmPdf / 1000).toFixed(2)} s/doc to PDF, ${(warmTiff / 1000).toFixed(2)} s/doc to fine fax TIFF (target <= 0.7); listener start ${(firstStart / 1000).toFixed(2)} s once`,
);

// 3. One fax job to 1,000 recipients through the daemon.
const b = await benchDaemon({});
const before = faxConversions();
const files = [
  { name: 'cover.pdf', base64content: pdf.subarray(0).toString('base64') },
  { name: 'letter.docx', base64content: readFileSync(new URL('../test/fixtures/office/letter.docx', import.meta.url)).toString('base64') },
];
const recipients = Array.from({ length: 1000 }, (_, i) => ({ destination: `+61491${String(570000 + i)}` }));
t = performance.now();
const res = await fetch(`${b.d.url}/api/v1/jobs`, { method: 'POST', headers: { authorization: b.auth, 'content-type': 'application/json' }, body: JSON.stringify({ job_type: 'fax', files, recipients }) });
const posted = performance.now() - t;
if (res.status !== 200) throw new Error(`POST /api/v1/jobs: ${res.status} ${await res.text()}`);
const conversions = faxConversions() - before;
const tiffs = readdirSync(join(b.config.data_dir, 'media', 'fax')).length;
await b.stop();
console.log(`fax job to 1,000 recipients (${PAGES + 2} pages): ${conversions} conversion(s), ${tiffs} TIFF on disk (target exactly 1); POST answered in ${(posted / 1000).toFixed(2)} s`);
rmSync(dir, { recursive: true, force: true });
