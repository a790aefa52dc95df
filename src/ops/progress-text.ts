/** One progress line: `converting fax  2/5  40%  invoice.pdf  1.2 s`, cut to the terminal's width. Pure. */
export function progressText(p: { label: string; done: number; total: number; elapsedMs: number; what?: string }, columns = 80): string {
  const pct = p.total > 0 ? Math.floor((Math.min(p.done, p.total) / p.total) * 100) : 0;
  const seconds = p.elapsedMs < 10_000 ? (p.elapsedMs / 1000).toFixed(1) : String(Math.round(p.elapsedMs / 1000));
  const parts = [p.label, `${p.done}/${p.total}`, `${pct}%`, ...(p.what ? [p.what] : []), `${seconds} s`];
  const line = parts.join('  ');
  // One column short of the width: a line that fills it wraps on some terminals, and \r then returns to the wrong row.
  const width = Math.max(10, columns - 1);
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`;
}
