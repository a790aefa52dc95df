import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { toFaxTiff } from '../../dist/media/fax.js';
import { MediaRefused } from '../../dist/media/refused.js';
import { OfficeConverter, withoutNetwork, writeProfileSettings } from '../../dist/media/office.js';

// The real fax stack: test/peers/fax/faxcheck.c, built here against Debian's libspandsp.
const dir = mkdtempSync(join(tmpdir(), 'faxtest-'));
const faxcheck = join(dir, 'faxcheck');
const cflags = spawnSync('pkg-config', ['--cflags', '--libs', 'spandsp'], { encoding: 'utf8' });
const hasStack = spawnSync('gs', ['--version']).status === 0 && spawnSync('tiffinfo', ['-h']).error === undefined && cflags.status === 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A child's exit code; killed (with its group when detached) when it has not ended in `ms`. */
function exited(child: ChildProcess, ms = 45_000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      reject(new Error(`${child.spawnargs.slice(0, 3).join(' ')} … did not end in ${ms} ms`));
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

beforeAll(() => {
  if (!hasStack) return;
  const cc = spawnSync('gcc', ['-O2', '-o', faxcheck, 'test/peers/fax/faxcheck.c', ...cflags.stdout.trim().split(/\s+/), '-ltiff'], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
});

/** Fax a TIFF from a spandsp sender to a spandsp receiver; their own account of the call. */
function fax(tiff: Buffer, ecm = false) {
  const input = join(dir, `in-${Math.random().toString(36).slice(2)}.tif`);
  writeFileSync(input, tiff);
  const r = spawnSync(faxcheck, [input, `${input}.rx.tif`, ...(ecm ? ['ecm'] : [])], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(r.stdout) as { ok: boolean; status_text: string; pages_tx: number; pages_rx: number; pages_in_file: number; width: number };
}

/** tiffinfo's account of every page. */
function tiffFields(tiff: Buffer) {
  const file = join(dir, `info-${Math.random().toString(36).slice(2)}.tif`);
  writeFileSync(file, tiff);
  const out = spawnSync('tiffinfo', [file], { encoding: 'utf8' }).stdout;
  const pages = out.split(/TIFF Directory at offset/).slice(1);
  return pages.map((p) => ({
    width: Number(/Image Width: (\d+)/.exec(p)?.[1]),
    resolution: /Resolution: ([\d.]+), ([\d.]+)/.exec(p)?.slice(1, 3).map(Number),
    compression: /Compression Scheme: (.+)/.exec(p)?.[1]?.trim(),
    bits: Number(/Bits\/Sample: (\d+)/.exec(p)?.[1]),
  }));
}

async function pdf(pages: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 1; i <= pages; i++) {
    const page = doc.addPage([612, 792]); // US Letter, fitted to A4 width
    page.drawText(`Fax test page ${i} of ${pages}`, { x: 72, y: 700, size: 28, font });
    page.drawRectangle({ x: 72, y: 100, width: 400, height: 500, borderWidth: 3 });
  }
  return Buffer.from(await doc.save());
}

describe.skipIf(!hasStack)('documents to fax TIFF, proven through spandsp', () => {
  it('renders every PDF page at 1728 px, 204×196 (fine) in G4, and a real fax stack receives every page', async () => {
    const { tiff, pages } = await toFaxTiff([{ name: 'letter.pdf', bytes: await pdf(3) }], { fine: true });
    expect(pages).toBe(3);
    expect(tiffFields(tiff)).toEqual(Array(3).fill({ width: 1728, resolution: [204, 196], compression: 'CCITT Group 4', bits: 1 }));
    expect(fax(tiff)).toMatchObject({ ok: true, status_text: 'OK', pages_in_file: 3, pages_rx: 3, width: 1728 });
    expect(fax(tiff, true)).toMatchObject({ ok: true, pages_rx: 3 });
  });

  it('renders 204×98 by default and G3 on request; text through pdf-lib; several files in order', async () => {
    const normal = await toFaxTiff([
      { name: 'notes.txt', bytes: Buffer.from('Hello fax.\n'.repeat(120)) },
      { name: 'letter.pdf', bytes: await pdf(2) },
    ]);
    expect(normal.pages).toBe(2 + 2); // 120 lines of text make two pages, then the PDF's two
    expect(tiffFields(normal.tiff).every((p) => p.width === 1728 && p.resolution?.[0] === 204 && p.resolution?.[1] === 98)).toBe(true);
    expect(fax(normal.tiff)).toMatchObject({ ok: true, pages_rx: 4 });
    const g3 = await toFaxTiff([{ name: 'letter.pdf', bytes: await pdf(1) }], { compression: 'g3' });
    expect(tiffFields(g3.tiff)[0]!.compression).toBe('CCITT Group 3');
    expect(fax(g3.tiff)).toMatchObject({ ok: true, pages_rx: 1 });
  });

  it('takes images (a drawing thresholded, a photo dithered) and TIFFs, and the fax stack receives them', async () => {
    const sharp = (await import('sharp')).default;
    const drawing = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#ffffff' } })
      .composite([{ input: Buffer.from('<svg width="800" height="600"><rect x="100" y="100" width="600" height="400" fill="none" stroke="black" stroke-width="12"/><text x="150" y="320" font-size="60">Invoice 42</text></svg>'), top: 0, left: 0 }])
      .png()
      .toBuffer();
    const gradient = Buffer.alloc(640 * 480 * 3);
    for (let y = 0; y < 480; y++) for (let x = 0; x < 640; x++) gradient.fill(Math.round((x / 640) * 255), (y * 640 + x) * 3, (y * 640 + x) * 3 + 3);
    const photo = await sharp(gradient, { raw: { width: 640, height: 480, channels: 3 } })
      .jpeg()
      .toBuffer();
    const gif = await sharp(drawing).gif().toBuffer();
    const { tiff, pages } = await toFaxTiff(
      [
        { name: 'drawing.png', bytes: drawing },
        { name: 'photo.jpg', bytes: photo },
        { name: 'logo.gif', bytes: gif },
      ],
      { fine: true },
    );
    expect(pages).toBe(3);
    expect(tiffFields(tiff).every((p) => p.width === 1728 && p.bits === 1 && p.compression === 'CCITT Group 4')).toBe(true);
    expect(fax(tiff)).toMatchObject({ ok: true, pages_rx: 3 });
    // A fax TIFF given as a document: its pages go through as they are.
    const again = await toFaxTiff([{ name: 'earlier.tif', bytes: tiff }]);
    expect(again.pages).toBe(3);
    expect(fax(again.tiff)).toMatchObject({ ok: true, pages_rx: 3 });
    await expect(toFaxTiff([{ name: 'fake.png', bytes: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('junk')]) }])).rejects.toThrow(/"fake\.png": is not an image/);
  });

  it('dithers photos and thresholds drawings', async () => {
    const { bitonal } = await import('../../dist/media/fax.js');
    const flat = Buffer.alloc(100 * 100, 128); // all mid-grey: a "photo"
    const d = bitonal(flat, 100, 100);
    const black = [...d].filter((v) => v === 0).length;
    expect(black).toBeGreaterThan(4000); // about half the dots, not all or none
    expect(black).toBeLessThan(6000);
    const text = Buffer.alloc(100 * 100, 255).fill(10, 0, 1000); // white page with a dark band
    expect([...bitonal(text, 100, 100)].filter((v) => v === 0)).toHaveLength(1000);
  });

  it('refuses a type it does not take, content that does not match its name, empty and corrupt documents — naming the file', async () => {
    const cases: [Parameters<typeof toFaxTiff>[0], RegExp][] = [
      [[{ name: 'a.exe', bytes: Buffer.from('MZ') }], /"a\.exe": type \.exe is not supported/],
      [[{ name: 'fake.pdf', bytes: Buffer.from('just text') }], /"fake\.pdf": its content is not a pdf file/],
      [[{ name: 'empty.pdf', bytes: Buffer.alloc(0) }], /"empty\.pdf": is empty/],
      [[{ name: 'bin.txt', bytes: Buffer.from([0x41, 0x00, 0x42]) }], /"bin\.txt": its content is not a txt file/],
      [[{ name: 'broken.pdf', bytes: Buffer.from('%PDF-1.4\n1 0 obj garbage\n%%EOF') }], /could not be rendered|no pages/],
      [[{ name: '../../etc/passwd.pdf', bytes: Buffer.from('%PDF-1.4 x') }], /could not be rendered|no pages/],
    ];
    for (const [inputs, pattern] of cases) await expect(toFaxTiff(inputs)).rejects.toThrow(pattern);
    await expect(toFaxTiff([])).rejects.toBeInstanceOf(MediaRefused);
  });

  it('is exposed as switchpost convert fax IN... OUT.tif [--fine]', async () => {
    const input = join(dir, 'cli.pdf');
    writeFileSync(input, await pdf(2));
    const out = join(dir, 'cli.tif');
    const r = spawnSync('node', ['dist/cli.js', 'convert', 'fax', input, out, '--fine'], { encoding: 'utf8', env: { ...process.env, SWITCHPOST_DATA_DIR: dir } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 page\(s\), 1728 px wide, 204x196 dpi/);
    const bad = spawnSync('node', ['dist/cli.js', 'convert', 'fax', join(dir, 'nothing.docx'), out], { encoding: 'utf8', env: { ...process.env, SWITCHPOST_DATA_DIR: dir } });
    expect(bad.status).not.toBe(0);
  });
});

// Office documents: the fixtures in test/fixtures/office (made by its make.sh from flat ODF sources).
const hasOffice = hasStack && spawnSync('soffice', ['--version']).status === 0;
const fixture = (name: string) => ({ name, bytes: readFileSync(join('test/fixtures/office', name)) });

/**
 * A .docx whose only picture is linked, not embedded: LibreOffice fetches it from `url` on load
 * (OPTIONS, then GETs) unless it has no network. Zipped by Info-ZIP's zip, as Word would store it.
 */
function linkedImageDocx(url: string): Buffer {
  const root = mkdtempSync(join(dir, 'linked-'));
  const part = (path: string, xml: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${xml}`);
  };
  const ns = 'http://schemas.openxmlformats.org';
  part(
    '[Content_Types].xml',
    `<Types xmlns="${ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
  );
  part('_rels/.rels', `<Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rId1" Type="${ns}/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`);
  part('word/_rels/document.xml.rels', `<Relationships xmlns="${ns}/package/2006/relationships"><Relationship Id="rIdImg" Type="${ns}/officeDocument/2006/relationships/image" Target="${url}" TargetMode="External"/></Relationships>`);
  part(
    'word/document.xml',
    `<w:document xmlns:w="${ns}/wordprocessingml/2006/main" xmlns:r="${ns}/officeDocument/2006/relationships" xmlns:wp="${ns}/drawingml/2006/wordprocessingDrawing" xmlns:a="${ns}/drawingml/2006/main" xmlns:pic="${ns}/drawingml/2006/picture"><w:body>` +
      `<w:p><w:r><w:t>A letter with a linked logo</w:t></w:r></w:p><w:p><w:r><w:drawing><wp:inline><wp:extent cx="914400" cy="914400"/><wp:docPr id="1" name="logo"/>` +
      `<a:graphic><a:graphicData uri="${ns}/drawingml/2006/picture"><pic:pic><pic:nvPicPr><pic:cNvPr id="1" name="logo.png"/><pic:cNvPicPr/></pic:nvPicPr>` +
      `<pic:blipFill><a:blip r:link="rIdImg"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm><a:prstGeom prst="rect"/></pic:spPr></pic:pic>` +
      `</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p></w:body></w:document>`,
  );
  const out = join(root, 'linked.docx');
  const z = spawnSync('zip', ['-X', '-q', '-r', out, '[Content_Types].xml', '_rels', 'word'], { cwd: root, encoding: 'utf8' });
  expect(z.status, z.stderr).toBe(0);
  return readFileSync(out);
}

/** A TCP listener on 127.0.0.1 that counts the connections made to it (and answers nothing). */
async function countingListener() {
  const seen = { connections: 0, requests: [] as string[] };
  const server = createServer((s) => {
    seen.connections++;
    s.on('data', (d) => seen.requests.push(d.toString('latin1').split('\r\n')[0]!));
    s.on('error', () => {});
    s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { seen, port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(r)) };
}

describe.skipIf(!hasOffice)('office documents through a long-lived LibreOffice listener', () => {
  const office = new OfficeConverter({ workDir: join(dir, 'office') });
  afterAll(() => office.stop());

  it('renders doc, docx, xls, xlsx, ppt and pptx with every page, and the fax stack receives them', async () => {
    const expected: Record<string, number> = { 'letter.doc': 2, 'letter.docx': 2, 'sheet.xls': 1, 'sheet.xlsx': 1, 'slides.ppt': 2, 'slides.pptx': 2 };
    for (const [name, pages] of Object.entries(expected)) {
      const { tiff, pages: got } = await toFaxTiff([fixture(name)], { office, fine: true });
      expect(got, name).toBe(pages);
      expect(tiffFields(tiff), name).toEqual(Array(pages).fill({ width: 1728, resolution: [204, 196], compression: 'CCITT Group 4', bits: 1 }));
      expect(fax(tiff), name).toMatchObject({ ok: true, pages_rx: pages });
    }
    expect(office.starts).toBe(1); // one listener for all of them
  }, 120_000);

  it('keeps files in order across kinds (pdf, docx, pdfx, pptx) in one TIFF', async () => {
    const { tiff, pages } = await toFaxTiff([{ name: 'a.pdf', bytes: await pdf(1) }, fixture('letter.docx'), { name: 'print.pdfx', bytes: await pdf(2) }, fixture('slides.pptx')], { office });
    expect(pages).toBe(1 + 2 + 2 + 2);
    expect(fax(tiff, true)).toMatchObject({ ok: true, pages_rx: 7 });
  }, 60_000);

  it('refuses office files that are not what their name says, corrupt or password-protected — naming the file', async () => {
    const letter = readFileSync('test/fixtures/office/letter.docx');
    const cases: [Parameters<typeof toFaxTiff>[0], RegExp][] = [
      [[{ name: 'rates.xlsx', bytes: letter }], /"rates\.xlsx": its content is not a xlsx file/],
      [[{ name: 'letter.doc', bytes: letter }], /"letter\.doc": its content is not a doc file/],
      [[{ name: 'cut.docx', bytes: letter.subarray(0, 1500) }], /"cut\.docx": could not be opened \(corrupt, encrypted/],
      [[fixture('locked.doc')], /"locked\.doc": could not be opened \(corrupt, encrypted/],
    ];
    for (const [inputs, pattern] of cases) await expect(toFaxTiff(inputs, { office })).rejects.toThrow(pattern);
    await expect(toFaxTiff([fixture('letter.docx')])).rejects.toThrow(/"letter\.docx": office documents are not converted here/);
  }, 60_000);

  it('never opens a network connection: soffice has a network namespace of its own, a linked image on a loopback listener is not fetched, and the document converts', async () => {
    const listener = await countingListener();
    try {
      const docx = linkedImageDocx(`http://127.0.0.1:${listener.port}/logo.png`);
      const { tiff, pages } = await toFaxTiff([{ name: 'linked.docx', bytes: docx }], { office });
      expect(pages).toBe(1);
      expect(fax(tiff)).toMatchObject({ ok: true, pages_rx: 1 });
      await new Promise((r) => setTimeout(r, 300)); // a late fetch would still be counted
      expect(listener.seen).toEqual({ connections: 0, requests: [] });
      // Not the profile's fence alone: soffice is in another network namespace, with only a loopback that is down.
      const ns = `/proc/${office.pids()!.soffice}/ns/net`;
      expect(readlinkSync(ns)).toMatch(/^net:\[\d+\]$/);
      expect(readlinkSync(ns)).not.toBe(readlinkSync('/proc/self/ns/net'));
      // And a user namespace of its own, even when we are root: its capabilities are not the host's.
      expect(readlinkSync(`/proc/${office.pids()!.soffice}/ns/user`)).not.toBe(readlinkSync('/proc/self/ns/user'));
      const links = spawnSync('nsenter', [`--net=${ns}`, 'ip', '-o', 'link'], { encoding: 'utf8', timeout: 10_000 });
      if (links.status === 0)
        expect(
          links.stdout
            .trim()
            .split('\n')
            .map((l) => `${l.split(': ')[1]} ${/ state (\w+)/.exec(l)?.[1]}`),
        ).toEqual(['lo DOWN']);
    } finally {
      await listener.close();
    }
  }, 60_000);

  it('cuts the network by the namespace alone: with an empty profile, soffice fetches the linked image outside it and not inside it', async () => {
    const listener = await countingListener();
    try {
      const work = mkdtempSync(join(dir, 'bare-'));
      writeFileSync(join(work, 'linked.docx'), linkedImageDocx(`http://127.0.0.1:${listener.port}/logo.png`));
      // No registrymodifications.xcu: BlockUntrustedRefererLinks is off, only the namespace is left.
      const convert = (prefix: string[], profile: string) => {
        const args = ['--headless', '--norestore', `-env:UserInstallation=file://${join(work, profile)}`, '--convert-to', 'pdf', '--outdir', join(work, profile), join(work, 'linked.docx')];
        return exited(spawn(prefix[0] ?? 'soffice', prefix.length ? [...prefix.slice(1), 'soffice', ...args] : args, { stdio: 'ignore', detached: true }));
      };
      expect(await convert(['unshare', ...withoutNetwork(), '--'], 'inside')).toBe(0);
      expect(
        readFileSync(join(work, 'inside', 'linked.pdf'))
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
      expect(listener.seen.connections).toBe(0);
      // The control: the same soffice and document with the network do fetch it, so the zero above is the namespace's.
      expect(await convert([], 'outside')).toBe(0);
      expect(listener.seen.connections).toBeGreaterThan(0);
    } finally {
      await listener.close();
    }
  }, 90_000);

  it('keeps a second fence inside LibreOffice: its profile alone, with the network there, fetches no linked image', async () => {
    const listener = await countingListener();
    try {
      const work = mkdtempSync(join(dir, 'fence-'));
      writeFileSync(join(work, 'linked.docx'), linkedImageDocx(`http://127.0.0.1:${listener.port}/logo.png`));
      const profile = join(work, 'profile');
      writeProfileSettings(profile);
      // A plain soffice, outside any namespace: only the profile's settings stand between it and the listener.
      const child = spawn('soffice', ['--headless', '--norestore', `-env:UserInstallation=file://${profile}`, '--convert-to', 'pdf', '--outdir', work, join(work, 'linked.docx')], { stdio: 'ignore', detached: true });
      expect(await exited(child)).toBe(0);
      expect(readFileSync(join(work, 'linked.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
      expect(listener.seen).toEqual({ connections: 0, requests: [] });
    } finally {
      await listener.close();
    }
  }, 60_000);

  // As the systemd unit runs it: an unprivileged user, no new privileges, no capabilities at all. The
  // converter then makes a user namespace (mapped to its own uid) for its network namespace.
  const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs'];
  // By its absolute path, as the child imports it: a checkout under a directory nobody may not search
  // (a mktemp -d) is readable through a relative path from inside it, not through this one.
  const nobodyReads = process.geteuid?.() === 0 && spawnSync(asNobody[0]!, [...asNobody.slice(1), 'test', '-r', join(process.cwd(), 'dist/media/office.js')]).status === 0;
  if (process.geteuid?.() === 0 && !nobodyReads) console.warn('*** SKIPPED the unprivileged office conversion test: user nobody cannot read this checkout (a parent directory is not world-searchable) ***');
  it.skipIf(!nobodyReads)(
    'has no network as an unprivileged user under NoNewPrivileges either, and still converts',
    async () => {
      const listener = await countingListener();
      const work = mkdtempSync(join(tmpdir(), 'office-nobody-'));
      try {
        chownSync(work, 65534, 65534);
        const input = join(work, 'linked.docx');
        writeFileSync(input, linkedImageDocx(`http://127.0.0.1:${listener.port}/logo.png`));
        const script = `import { readFileSync } from 'node:fs';
        const { OfficeConverter } = await import(${JSON.stringify(join(process.cwd(), 'dist/media/office.js'))});
        const office = new OfficeConverter({ workDir: ${JSON.stringify(join(work, 'office'))} });
        const pdf = await office.toPdf('linked.docx', 'docx', readFileSync(${JSON.stringify(input)}));
        console.log(JSON.stringify({ uid: process.getuid(), pdf: pdf.subarray(0, 5).toString() }));
        await office.stop();`;
        const child = spawn(asNobody[0]!, [...asNobody.slice(1), process.execPath, '--input-type=module', '-e', script], { env: { ...process.env, HOME: work }, detached: true });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const code = await exited(child);
        expect(code, err).toBe(0);
        expect(JSON.parse(out)).toEqual({ uid: 65534, pdf: '%PDF-' });
        expect(listener.seen).toEqual({ connections: 0, requests: [] });
      } finally {
        await listener.close();
        rmSync(work, { recursive: true, force: true });
      }
    },
    60_000,
  );

  // A host where user namespaces cannot be made (here: a user namespace whose limit allows no more
  // nested ones, as user.max_user_namespaces=0 does on a host): refused at once, with the reason.
  const nestsUserNs = process.geteuid?.() === 0 && spawnSync('unshare', ['--user', '--map-root-user', 'true']).status === 0;
  it.skipIf(!nestsUserNs)('refuses to convert, saying why, when the converter cannot be cut off from the network', () => {
    const script = `const { OfficeConverter } = await import(${JSON.stringify(join(process.cwd(), 'dist/media/office.js'))});
      const office = new OfficeConverter({ workDir: ${JSON.stringify(join(dir, 'office-no-userns'))} });
      const t = Date.now();
      const err = await office.toPdf('letter.docx', 'docx', Buffer.from(${JSON.stringify(readFileSync('test/fixtures/office/letter.docx').toString('base64'))}, 'base64')).then(() => null, (e) => e);
      console.log(JSON.stringify({ uid: process.geteuid(), name: err?.name, code: err?.code, message: err?.message, ms: Date.now() - t }));
      await office.stop();`;
    const inner = `echo 1 > /proc/sys/user/max_user_namespaces && exec unshare --user --map-user=1000 --map-group=1000 ${process.execPath} --input-type=module -e "$0"`;
    const r = spawnSync('unshare', ['--user', '--map-root-user', 'sh', '-c', inner, script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { uid: number; name: string; code: string; message: string; ms: number };
    expect(out).toMatchObject({ uid: 1000, name: 'OfficeUnavailable', code: 'no_namespace' });
    expect(out.message).toMatch(/^LibreOffice not started: it runs without network, and the network namespace could not be made \(unshare: unshare failed: .+\); allow unprivileged user namespaces/);
    expect(out.ms).toBeLessThan(10_000); // at once, not after the 60 s start timeout
  });

  it('restarts the listener when LibreOffice dies, and the document still converts', async () => {
    await toFaxTiff([fixture('sheet.xlsx')], { office });
    const before = office.starts;
    const pids = office.pids();
    expect(pids).not.toBeNull();
    process.kill(-pids!.soffice, 'SIGKILL');
    const { pages } = await toFaxTiff([fixture('letter.docx')], { office });
    expect(pages).toBe(2);
    expect(office.starts).toBe(before + 1);
    expect(office.pids()!.soffice).not.toBe(pids!.soffice);
  }, 60_000);
});
