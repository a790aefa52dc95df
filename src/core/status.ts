/**
 * The daemon's status at one moment (issue 19), as `GET /admin/status` answers it, the status page
 * shows it and `switchpost status` prints it. Assembled here from plain inputs the wiring gathers.
 */

/** A provider as the status shows it (the store's row, reduced). */
export interface ProviderInfo {
  id: number;
  name: string;
  driver: string;
  services: readonly string[];
  active: boolean;
  /** Configured messages per second over the provider (0: no limit). */
  throughput: number;
}

/** Its gateway as the main thread holds it now: the link, and the calls up where it places calls. */
export interface LinkNow {
  up: boolean;
  liveCalls: number | null;
}

/** The last health a provider's gateway reported (its reason when it went down). */
export interface HealthSeen {
  up: boolean;
  reason: string | null;
  at: number;
}

/** What ended on a provider in the rate window. */
export interface ProviderRates {
  attempts: number;
  failures: number;
  parts: number;
}

/** One of the last errors: an attempt that failed, a provider that went down, an import line refused. */
export interface StatusError {
  at: number;
  kind: 'attempt' | 'provider' | 'import';
  provider: string | null;
  jobId: number | null;
  destination: string | null;
  /** The attempt's end status (failed_retryable, undeliverable, …); `down` for a provider. */
  status: string;
  message: string;
}

export interface OpenJobInfo {
  id: number;
  user: string;
  channel: string;
  name: string | null;
  total: number;
  done: number;
  succeeded: number;
  failed: number;
  createdAt: number;
}

export interface SpoolLevelsInfo {
  depth: { state: string; channel: string; n: number }[];
  oldestQueuedDueAt: number | null;
  outbox: { state: string; n: number }[];
}

export interface StatusInput {
  at: number;
  node: string;
  pid: number;
  startedAt: number;
  providers: readonly ProviderInfo[];
  /** By provider id; a provider without a gateway (inactive, refused, no driver) has none. */
  links: ReadonlyMap<number, LinkNow>;
  health: ReadonlyMap<number, HealthSeen>;
  rates: ReadonlyMap<number, ProviderRates>;
  rateWindowSeconds: number;
  /** Null when the spool's thread did not answer in time (a stalled disk): the rest is still shown. */
  levels: SpoolLevelsInfo | null;
  jobs: { count: number; jobs: readonly OpenJobInfo[] } | null;
  inFlight: number;
  /** The channels always listed, so a queue does not vanish when it drains. */
  channels: readonly string[];
  errors: readonly StatusError[];
}

export type LinkState = 'up' | 'down' | 'off';

export interface ProviderStatus {
  id: number;
  name: string;
  driver: string;
  services: string[];
  link: LinkState;
  /** Why it is down (the gateway's reason), or why it is off. */
  reason: string | null;
  /** When the link last changed, as far as this daemon saw (epoch ms), or null. */
  since: number | null;
  throughput: number;
  /** Over the last `rate_window_s`: attempts ended, of them failed, SMS parts submitted. */
  attempts: number;
  failures: number;
  parts: number;
  liveCalls: number | null;
}

export interface QueueStatus {
  channel: string;
  queued: number;
  sending: number;
  submitted: number;
}

export interface StatusSnapshot {
  at: number;
  node: string;
  pid: number;
  uptimeS: number;
  /** `unavailable` when the spool's levels could not be read now (queues, jobs and callbacks then empty). */
  spool: 'ok' | 'unavailable';
  inFlight: number;
  dueLagS: number;
  callbacks: { pending: number; failed: number };
  rateWindowS: number;
  providers: ProviderStatus[];
  queues: QueueStatus[];
  liveCalls: number;
  jobs: { count: number; shown: OpenJobInfo[] };
  errors: StatusError[];
}

function linkOf(p: ProviderInfo, link: LinkNow | undefined, seen: HealthSeen | undefined): { link: LinkState; reason: string | null } {
  if (!p.active) return { link: 'off', reason: 'inactive' };
  if (!link) return { link: 'down', reason: 'not started (see the log)' };
  if (link.up) return { link: 'up', reason: null };
  return { link: 'down', reason: seen && !seen.up ? seen.reason : null };
}

export function providerStatus(p: ProviderInfo, input: Pick<StatusInput, 'links' | 'health' | 'rates'>): ProviderStatus {
  const link = input.links.get(p.id);
  const seen = input.health.get(p.id);
  const rates = input.rates.get(p.id);
  return {
    id: p.id,
    name: p.name,
    driver: p.driver,
    services: [...p.services],
    ...linkOf(p, link, seen),
    since: seen?.at ?? null,
    throughput: p.throughput,
    attempts: rates?.attempts ?? 0,
    failures: rates?.failures ?? 0,
    parts: rates?.parts ?? 0,
    liveCalls: link?.liveCalls ?? null,
  };
}

/** Recipients not final by channel, every listed channel present (0 when empty), then any other seen. */
export function queuesOf(depth: SpoolLevelsInfo['depth'], channels: readonly string[]): QueueStatus[] {
  const by = new Map<string, QueueStatus>();
  const row = (channel: string): QueueStatus => {
    let q = by.get(channel);
    if (!q) by.set(channel, (q = { channel, queued: 0, sending: 0, submitted: 0 }));
    return q;
  };
  for (const c of channels) row(c);
  for (const d of depth) {
    if (d.state === 'queued' || d.state === 'sending' || d.state === 'submitted') row(d.channel)[d.state] += d.n;
  }
  return [...by.values()];
}

export function assembleStatus(input: StatusInput): StatusSnapshot {
  const providers = [...input.providers].sort((a, b) => a.name.localeCompare(b.name)).map((p) => providerStatus(p, input));
  const levels = input.levels;
  const outbox = (state: string) => levels?.outbox.find((o) => o.state === state)?.n ?? 0;
  return {
    at: input.at,
    node: input.node,
    pid: input.pid,
    uptimeS: Math.max(0, Math.round((input.at - input.startedAt) / 1000)),
    spool: levels && input.jobs ? 'ok' : 'unavailable',
    inFlight: input.inFlight,
    dueLagS: levels?.oldestQueuedDueAt != null ? Math.max(0, Math.round((input.at - levels.oldestQueuedDueAt) / 1000)) : 0,
    callbacks: { pending: outbox('pending'), failed: outbox('failed') },
    rateWindowS: input.rateWindowSeconds,
    providers,
    queues: queuesOf(levels?.depth ?? [], input.channels),
    liveCalls: providers.reduce((n, p) => n + (p.liveCalls ?? 0), 0),
    jobs: { count: input.jobs?.count ?? 0, shown: [...(input.jobs?.jobs ?? [])] },
    errors: [...input.errors],
  };
}
