import type { StatusSnapshot } from './status.js';

/** Columns padded to their widest cell; the last column is not padded. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Text from the network printed on a terminal: no control characters (an escape sequence would drive the terminal). */
export const printable = (s: string): string =>
  Array.from(s, (c) => {
    const n = c.codePointAt(0)!;
    return n < 0x20 || (n >= 0x7f && n <= 0x9f) ? ' ' : c;
  }).join('');

/** What `switchpost status` prints: the status page's sections, as text. */
export function statusText(s: StatusSnapshot): string {
  const out: string[] = [];
  out.push(`switchpost on ${printable(s.node)} (pid ${s.pid}), up ${s.uptimeS} s, at ${iso(s.at)}`);
  out.push(`spool: ${s.spool}, ${s.inFlight} in flight, due lag ${s.dueLagS} s, callbacks ${s.callbacks.pending} pending / ${s.callbacks.failed} failed, live calls ${s.liveCalls}`);
  out.push('', `providers (last ${s.rateWindowS} s)`);
  out.push(
    ...table(
      ['name', 'driver', 'services', 'link', 'attempts', 'failed', 'parts', 'tps', 'calls', 'reason'],
      s.providers.map((p) =>
        [p.name, p.driver, p.services.join(','), p.link, String(p.attempts), String(p.failures), String(p.parts), p.throughput ? String(p.throughput) : '-', p.liveCalls === null ? '-' : String(p.liveCalls), p.reason ?? ''].map(printable),
      ),
    ),
  );
  out.push('', 'queues');
  out.push(
    ...table(
      ['channel', 'queued', 'sending', 'submitted'],
      s.queues.map((q) => [q.channel, String(q.queued), String(q.sending), String(q.submitted)].map(printable)),
    ),
  );
  out.push('', `jobs in progress: ${s.jobs.count}${s.jobs.count > s.jobs.shown.length ? ` (newest ${s.jobs.shown.length} shown)` : ''}`);
  if (s.jobs.shown.length)
    out.push(
      ...table(
        ['job', 'user', 'channel', 'done/total', 'ok', 'failed', 'name'],
        s.jobs.shown.map((j) => [String(j.id), j.user, j.channel, `${j.done}/${j.total}`, String(j.succeeded), String(j.failed), j.name ?? ''].map(printable)),
      ),
    );
  out.push('', `last errors: ${s.errors.length}`);
  if (s.errors.length)
    out.push(
      ...table(
        ['at', 'kind', 'provider', 'job', 'destination', 'status', 'message'],
        s.errors.map((e) => [iso(e.at), e.kind, e.provider ?? '', e.jobId === null ? '' : String(e.jobId), e.destination ?? '', e.status, e.message].map(printable)),
      ),
    );
  return out.join('\n') + '\n';
}
