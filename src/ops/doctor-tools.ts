import { spawn } from 'node:child_process';
import { fail, ok, versionOf, type CheckResult } from './doctor-report.js';

/**
 * The external programs the media pipeline runs, each asked for its version. What each is for and the
 * Debian package that brings it are the fix a missing one prints.
 */
export interface Tool {
  name: string;
  command: string;
  args: string[];
  package: string;
  usedFor: string;
}

export const TOOLS: readonly Tool[] = [
  { name: 'ffmpeg', command: 'ffmpeg', args: ['-hide_banner', '-version'], package: 'ffmpeg', usedFor: 'audio for calls, MMS media' },
  { name: 'ghostscript', command: 'gs', args: ['--version'], package: 'ghostscript', usedFor: 'PDF pages for faxes' },
  { name: 'LibreOffice', command: 'soffice', args: ['--headless', '--version'], package: 'libreoffice-nogui python3-uno', usedFor: 'office documents in faxes' },
  { name: 'espeak-ng', command: 'espeak-ng', args: ['--version'], package: 'espeak-ng', usedFor: 'text to speech for calls' },
  // tiff2pdf has no --version: -h prints its usage after libtiff's version, and exits non-zero.
  { name: 'tiff2pdf', command: 'tiff2pdf', args: ['-h'], package: 'libtiff-tools', usedFor: 'received faxes as PDF' },
];

/** Run one tool for its version: a missing one (ENOENT) or one that says nothing readable fails with the package to install. */
export function checkTool(tool: Tool, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const fix = `apt-get install ${tool.package} (needed for ${tool.usedFor})`;
    let out = '';
    let settled = false;
    const done = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(tool.command, tool.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: process.env.HOME ?? '/tmp' } });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(fail(tool.name, `${tool.command} did not answer within ${timeoutMs} ms`, `check that ${tool.command} runs for this user; ${fix}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => done(fail(tool.name, err.code === 'ENOENT' ? `${tool.command} not found on PATH` : `${tool.command}: ${err.message}`, fix)));
    child.on('close', () => {
      const version = versionOf(out);
      done(version ? ok(tool.name, `${tool.command} ${version}`) : fail(tool.name, `${tool.command} gave no version: ${out.slice(0, 120) || '(no output)'}`, fix));
    });
  });
}
