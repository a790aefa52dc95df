/** One progress line: `converting fax  2/5  40%  invoice.pdf  1.2 s`, cut to the terminal's width. Pure. */
export function progressText(p: { label: string; done: number; total: number; elapsedMs: number; what?: string; unit?: 'count' | 'bytes' }, columns = 80): string {
  const pct = p.total > 0 ? Math.floor((Math.min(p.done, p.total) / p.total) * 100) : 0;
  const seconds = p.elapsedMs < 10_000 ? (p.elapsedMs / 1000).toFixed(1) : String(Math.round(p.elapsedMs / 1000));
  const parts = [p.label, p.unit === 'bytes' ? byteAmount(p.done, p.total) : `${p.done}/${p.total}`, `${pct}%`, ...(p.what ? [p.what] : []), `${seconds} s`];
  const line = parts.join('  ');
  // One column short of the width: a line that fills it wraps on some terminals, and \r then returns to the wrong row.
  const width = Math.max(10, columns - 1);
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** `1.2/5.0 MB`: both in the total's unit (decimal, as file sizes are shown), so the two read together. */
function byteAmount(done: number, total: number): string {
  let i = 0;
  while (i < UNITS.length - 1 && total >= 1000 ** (i + 1)) i++;
  const at = (n: number) => (i === 0 ? String(n) : (n / 1000 ** i).toFixed(1));
  return `${at(done)}/${at(total)} ${UNITS[i]}`;
}
