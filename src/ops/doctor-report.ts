/**
 * `switchpost doctor`'s results and how they print: one line each, `ok` or `FAIL`, what was checked,
 * what was found, and for a failure what to do about it. Pure: the checks live beside (doctor-*.ts).
 */
export interface CheckResult {
  /** What was checked, as the operator names it: `ffmpeg`, `data dir`, `provider smsc (smpp)`. */
  name: string;
  ok: boolean;
  /** What was found: a version, a path, "bound and unbound", the error. */
  detail: string;
  /** For a failure: what to do (one sentence). */
  fix?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, ok: true, detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, ok: false, detail, fix });

/** One line per check, names aligned; a failure's fix after "→ fix:". */
export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.name.length));
  const lines = results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.name.padEnd(width)}  ${oneLine(r.detail)}${!r.ok && r.fix ? `  → fix: ${oneLine(r.fix)}` : ''}`);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed ? `${failed} of ${results.length} checks failed` : `all ${results.length} checks passed`);
  return lines.join('\n');
}

/** 0 when every check passed, 1 otherwise. */
export const exitCodeOf = (results: readonly CheckResult[]): number => (results.every((r) => r.ok) ? 0 : 1);

/** A tool's output or an error may span lines: a report line holds one. */
const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/**
 * The version in a tool's `--version` output (its first line with a dotted number): `ffmpeg version
 * 6.1.1-3ubuntu5` → `6.1.1-3ubuntu5`; `LIBTIFF, Version 4.5.1` → `4.5.1`. Null when none is there.
 */
export function versionOf(output: string): string | null {
  for (const line of output.split('\n')) {
    const m = /(?:^|[\s(v])(\d+\.\d+(?:\.\d+)*(?:[-+~][0-9A-Za-z.+~-]*)?)/.exec(line);
    if (m) return m[1]!;
  }
  return null;
}
