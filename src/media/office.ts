import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { OfficeUnavailable } from './office-unavailable.js';
import { MediaRefused } from './refused.js';

/**
 * Office types, the content their files must have, and LibreOffice's import filter for each. The filter
 * is given on load so that a file which is not what its name says fails instead of being guessed.
 */
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ole = (stream: string) => (b: Buffer) => b.subarray(0, 8).equals(OLE2) && b.includes(Buffer.from(stream, 'utf16le'));
const ooxml = (part: string) => (b: Buffer) => b.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004' && b.includes(Buffer.from(part, 'latin1'));
export const OFFICE_TYPES = {
  doc: { magic: ole('WordDocument'), filter: 'MS Word 97' },
  docx: { magic: ooxml('word/document.xml'), filter: 'MS Word 2007 XML' },
  xls: { magic: (b: Buffer) => ole('Workbook')(b) || ole('Book')(b), filter: 'MS Excel 97' },
  xlsx: { magic: ooxml('xl/workbook.xml'), filter: 'Calc MS Excel 2007 XML' },
  ppt: { magic: ole('PowerPoint Document'), filter: 'MS PowerPoint 97' },
  pptx: { magic: ooxml('ppt/presentation.xml'), filter: 'Impress MS PowerPoint 2007 XML' },
} as const;
export type OfficeType = keyof typeof OFFICE_TYPES;
export const isOfficeType = (ext: string): ext is OfficeType => Object.hasOwn(OFFICE_TYPES, ext);

// Debian's python3, the one python3-uno is built for (a pyenv or venv python3 on PATH lacks `uno`).
const PYTHON = process.env.SWITCHPOST_OFFICE_PYTHON ?? '/usr/bin/python3';
const BRIDGE = fileURLToPath(new URL('./office-bridge.py', import.meta.url));

interface Listener {
  soffice: ChildProcess;
  bridge: ChildProcess;
  lines: AsyncIterator<string>;
  profile: string;
}

/**
 * Office documents → PDF through one long-lived LibreOffice (soffice --accept on a private pipe, with
 * a private profile, in a network namespace of its own) driven over UNO by office-bridge.py: a warm
 * listener converts a small document in ~0.1 s where a fresh soffice costs ~1.2 s. Started on first use; one document at a time (LibreOffice
 * is not concurrent); restarted when it dies or hangs — a document that kills it twice is refused.
 */
export class OfficeConverter {
  private listener: Listener | null = null;
  private starting: Promise<Listener> | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  /** Listeners started so far (the tests watch restarts). */
  starts = 0;

  constructor(private readonly opts: { workDir: string; timeoutMs?: number; startTimeoutMs?: number }) {}

  /** One office document → PDF bytes; MediaRefused naming the file when LibreOffice cannot open it. */
  toPdf(name: string, type: OfficeType, bytes: Buffer): Promise<Buffer> {
    const run = this.queue.then(() => this.convertOnce(name, type, bytes, 2));
    this.queue = run.catch(() => {});
    return run;
  }

  /** The process ids of the running listener (soffice's group, the bridge), if any. */
  pids(): { soffice: number; bridge: number } | null {
    const l = this.listener;
    return l?.soffice.pid && l.bridge.pid ? { soffice: l.soffice.pid, bridge: l.bridge.pid } : null;
  }

  async stop(): Promise<void> {
    const l = this.listener ?? (await this.starting?.catch(() => null)) ?? null;
    this.listener = null;
    if (l) this.kill(l);
  }

  private async convertOnce(name: string, type: OfficeType, bytes: Buffer, tries: number): Promise<Buffer> {
    const l = this.listener ?? (await this.start());
    const n = ++this.seq;
    // Named by sequence: the client's file name never reaches a path.
    const src = join(l.profile, `in-${n}.${type}`);
    const out = join(l.profile, `out-${n}.pdf`);
    writeFileSync(src, bytes);
    try {
      l.bridge.stdin!.write(JSON.stringify({ in: src, out, filter: OFFICE_TYPES[type].filter }) + '\n');
      const reply = await this.nextLine(l, this.opts.timeoutMs ?? 60_000);
      if (reply === null) {
        // Died or hung on this document: a new listener, and one more try before blaming the document.
        this.kill(l);
        if (tries > 1) return this.convertOnce(name, type, bytes, tries - 1);
        throw new MediaRefused(`"${name}": LibreOffice could not render it (it stopped or took too long)`);
      }
      const res = JSON.parse(reply) as { ok?: true; error?: string; fatal?: boolean };
      if (res.fatal) {
        this.kill(l);
        if (tries > 1) return this.convertOnce(name, type, bytes, tries - 1);
      }
      if (!res.ok) throw new MediaRefused(`"${name}": ${res.error ?? 'could not be rendered'}`);
      return readFileSync(out);
    } finally {
      rmSync(src, { force: true });
      rmSync(out, { force: true });
    }
  }

  /** The bridge's next reply, or null when it ended or did not answer in time. */
  private async nextLine(l: Listener, timeoutMs: number): Promise<string | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
    try {
      const next = await Promise.race([l.lines.next(), timeout]);
      return next === null || next.done ? null : next.value;
    } finally {
      clearTimeout(timer);
    }
  }

  private start(): Promise<Listener> {
    this.starting ??= this.spawnListener().finally(() => (this.starting = null));
    return this.starting;
  }

  private async spawnListener(): Promise<Listener> {
    mkdirSync(this.opts.workDir, { recursive: true });
    if (this.starts === 0) sweepOrphans(this.opts.workDir);
    // A private profile per listener: a soffice left by a killed daemon holds its own profile's pipe,
    // which would otherwise swallow our start (soffice hands its arguments to a running instance).
    const profile = mkdtempSync(join(this.opts.workDir, 'lo-'));
    writeProfileSettings(profile);
    const pipe = `switchpost_${process.pid}_${++this.starts}`;
    const soffice = spawn('unshare', [...withoutNetwork(), '--', 'soffice', ...['--headless', '--invisible', '--nologo', '--norestore', '--nodefault', '--nolockcheck', `-env:UserInstallation=file://${profile}`, `--accept=pipe,name=${pipe};urp;`]], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    if (soffice.pid) writeFileSync(join(profile, 'soffice.pid'), String(soffice.pid));
    let sofficeErr = '';
    soffice.stderr!.on('data', (d: Buffer) => (sofficeErr = (sofficeErr + d.toString()).slice(-1000)));
    const bridge = spawn(PYTHON, [BRIDGE, pipe], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    bridge.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-1000)));
    const spawnError = new Promise<never>((_, reject) => {
      soffice.once('error', (e) => reject(new OfficeUnavailable('not_installed', `unshare: ${e.message} (is util-linux installed?)`)));
      bridge.once('error', (e) => reject(new OfficeUnavailable('not_installed', `${PYTHON}: ${e.message}`)));
      // unshare refused (no user namespaces) or soffice is missing: say so now, not after the start
      // timeout. 'close', not 'exit': at 'exit' the stderr pipe may still hold the cause unread.
      soffice.once('close', (code) => reject(startFailure(code, sofficeErr)));
    });
    const l: Listener = { soffice, bridge, profile, lines: createInterface({ input: bridge.stdout! })[Symbol.asyncIterator]() };
    const ready = await Promise.race([this.nextLine(l, this.opts.startTimeoutMs ?? 60_000), spawnError]).catch((e: Error) => {
      this.kill(l);
      throw e;
    });
    if (ready === null) {
      this.kill(l);
      throw new OfficeUnavailable('start_timeout', `LibreOffice did not start: ${stderr.trim().split('\n').slice(-2).join(' ') || 'no answer'}`);
    }
    const onExit = () => {
      if (this.listener === l) {
        this.listener = null;
        this.kill(l);
      }
    };
    soffice.once('exit', onExit);
    bridge.once('exit', onExit);
    this.listener = l;
    return l;
  }

  private kill(l: Listener): void {
    if (this.listener === l) this.listener = null;
    try {
      if (l.soffice.pid) process.kill(-l.soffice.pid, 'SIGKILL'); // the group: oosplash and soffice.bin
    } catch {
      /* already gone */
    }
    l.bridge.kill('SIGKILL');
    rmSync(l.profile, { recursive: true, force: true });
  }
}

/**
 * The second fence, inside LibreOffice: BlockUntrustedRefererLinks stops it fetching what a document
 * links to (linked images; UpdateDocMode=0 in the bridge does not). Written into a new profile
 * before soffice first reads it.
 */
export function writeProfileSettings(profile: string): void {
  mkdirSync(join(profile, 'user'), { recursive: true });
  writeFileSync(
    join(profile, 'user', 'registrymodifications.xcu'),
    `<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
`,
  );
}

/**
 * LibreOffice runs in a network namespace of its own, which has only a loopback that is down: a
 * document's linked images, OLE links or WebDAV probes cannot reach anything (UpdateDocMode=0 in the
 * bridge alone still lets LibreOffice fetch linked images). The UNO pipe is a socket file in /tmp,
 * which a network namespace does not separate. Always inside a user namespace of its own too, mapped
 * to the daemon's uid — as root as well: root's soffice then holds no capability over the host (the
 * ones it has are the new namespace's), and no CAP_SYS_ADMIN is needed, which a container often lacks.
 * When the namespace cannot be made, office conversion is refused rather than run with the network:
 * a fax of an office document must never make the daemon's host call an address a client chose.
 */
export function withoutNetwork(): string[] {
  return ['--user', '--map-current-user', '--net'];
}

function startFailure(code: number | null, stderr: string): OfficeUnavailable {
  const said = stderr.trim().split('\n').slice(-2).join(' ');
  if (/^unshare: (?!failed to execute)/m.test(said)) {
    return new OfficeUnavailable(
      'no_namespace',
      `LibreOffice not started: it runs without network, and the network namespace could not be made (${said}); allow unprivileged user namespaces (sysctl user.max_user_namespaces > 0, kernel.unprivileged_userns_clone=1, no AppArmor restriction, no seccomp filter refusing unshare)`,
    );
  }
  return new OfficeUnavailable('start_failed', `LibreOffice did not start (exit ${code ?? 'by signal'}): ${said || 'no message'} (is LibreOffice installed?)`);
}

/**
 * Listeners a killed daemon left behind (their soffice still runs on its private profile): killed
 * only when the process is still that soffice (its command line names the profile), then removed.
 */
function sweepOrphans(workDir: string): void {
  for (const name of readdirSync(workDir)) {
    if (!name.startsWith('lo-')) continue;
    const profile = join(workDir, name);
    try {
      const pid = Number(readFileSync(join(profile, 'soffice.pid'), 'utf8'));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile)) process.kill(-pid, 'SIGKILL');
    } catch {
      /* no pid file, or the process is gone */
    }
    rmSync(profile, { recursive: true, force: true });
  }
}
