import type { EventBus } from '../events/bus.js';
import type { TallyData } from '../spool/tally.js';
import { RateWindow } from '../core/rate-window.js';
import { Recent } from '../core/recent.js';
import { assembleStatus, type HealthSeen, type LinkNow, type OpenJobInfo, type ProviderInfo, type ProviderRates, type SpoolLevelsInfo, type StatusError, type StatusSnapshot } from '../core/status.js';

/** Where the status comes from; the wiring hands these over (the engine's thread only through `levels` and `openJobs`). */
export interface StatusSources {
  node: string;
  pid: number;
  startedAt: number;
  now(): number;
  providers(): Promise<ProviderInfo[]>;
  /** A provider's gateway now, or null when it has none (inactive, refused, no driver). */
  link(providerId: number): LinkNow | null;
  levels(): Promise<SpoolLevelsInfo>;
  openJobs(limit: number): Promise<{ count: number; jobs: OpenJobInfo[] }>;
  inFlight(): number;
  channels: readonly string[];
}

/** How long the spool's thread is waited for before the status is answered without its part. */
const SPOOL_MS = 2000;
/** The window the providers' rates count over. */
const RATE_WINDOW_S = 60;
/** The last errors kept. */
const ERRORS = 50;
/** The jobs in progress shown (the newest). */
const JOBS = 50;

function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([p.catch(() => null), late]).finally(() => clearTimeout(timer));
}

interface Windows {
  attempts: RateWindow;
  failures: RateWindow;
  parts: RateWindow;
}

/**
 * What the status needs that no store keeps, gathered on the main thread as the daemon runs: each
 * provider's rates (from the engine's tally), its last health report, and the last errors (failed
 * attempts from the tally, providers going down and refused import lines from the bus).
 */
export class StatusTracker {
  private readonly windows = new Map<number, Windows>();
  private readonly health = new Map<number, HealthSeen>();
  private readonly errors = new Recent<StatusError>(ERRORS);
  private readonly names = new Map<number, string>();
  private readonly unsubscribe: () => void;
  private lastProviders: ProviderInfo[] = [];

  constructor(
    bus: EventBus,
    private readonly sources: StatusSources,
  ) {
    // Only rare events: the engine builds them always for this listener, never the per-recipient ones.
    this.unsubscribe = bus.on(
      (e) => {
        if (e.type === 'provider.health') {
          this.health.set(e.providerId, { up: e.up, reason: e.reason, at: e.at });
          if (!e.up) this.errors.push({ at: e.at, kind: 'provider', provider: this.nameOf(e.providerId), jobId: null, destination: null, status: 'down', message: e.reason ?? 'link down' });
        } else if (e.type === 'import.rejected') {
          this.errors.push({ at: e.at, kind: 'import', provider: null, jobId: null, destination: null, status: 'rejected', message: `${e.source} line ${e.line}: ${e.reason}` });
        }
      },
      (type) => type === 'provider.health' || type === 'import.rejected',
    );
  }

  /** A provider's name for the errors; set as it is started or reloaded. */
  provider(id: number, name: string): void {
    this.names.set(id, name);
  }

  private nameOf(id: number | null): string | null {
    return id === null ? null : (this.names.get(id) ?? String(id));
  }

  private windowsOf(id: number): Windows {
    let w = this.windows.get(id);
    if (!w) this.windows.set(id, (w = { attempts: new RateWindow(RATE_WINDOW_S), failures: new RateWindow(RATE_WINDOW_S), parts: new RateWindow(RATE_WINDOW_S) }));
    return w;
  }

  /** Add what the engine counted (its stats message, every 100 ms at most). */
  add(t: TallyData): void {
    const now = this.sources.now();
    for (const [p, outcome, n] of t.attempts) {
      if (outcome === 'held') continue;
      const w = this.windowsOf(p);
      w.attempts.add(now, n);
      if (outcome !== 'delivered' && outcome !== 'sent') w.failures.add(now, n);
    }
    for (const [p, n] of t.parts) this.windowsOf(p).parts.add(now, n);
    for (const f of t.failures) this.errors.push({ at: f.at, kind: 'attempt', provider: this.nameOf(f.providerId), jobId: f.jobId, destination: f.destination, status: f.status, message: f.reason ?? f.status });
  }

  async snapshot(): Promise<StatusSnapshot> {
    // Taken before the reads: the page applies the stream's events from this moment on.
    const at = this.sources.now();
    const [listed, levels, jobs] = await Promise.all([within(this.sources.providers(), SPOOL_MS), within(this.sources.levels(), SPOOL_MS), within(this.sources.openJobs(JOBS), SPOOL_MS)]);
    // The providers are read on the spool's thread too: one that stalls leaves the list last read.
    const providers = listed ?? this.lastProviders;
    this.lastProviders = providers;
    const links = new Map<number, LinkNow>();
    const rates = new Map<number, ProviderRates>();
    for (const p of providers) {
      const link = this.sources.link(p.id);
      if (link) links.set(p.id, link);
      const w = this.windows.get(p.id);
      if (w) rates.set(p.id, { attempts: w.attempts.total(at), failures: w.failures.total(at), parts: w.parts.total(at) });
    }
    return assembleStatus({
      at,
      node: this.sources.node,
      pid: this.sources.pid,
      startedAt: this.sources.startedAt,
      providers,
      links,
      health: this.health,
      rates,
      rateWindowSeconds: RATE_WINDOW_S,
      levels,
      jobs,
      inFlight: this.sources.inFlight(),
      channels: this.sources.channels,
      errors: this.errors.list(),
    });
  }

  close(): void {
    this.unsubscribe();
  }
}
