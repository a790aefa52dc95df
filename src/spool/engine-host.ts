import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { Provider } from '../store/providers.js';
import { SPOOL_EVENT_TYPES, type EventBus } from '../events/bus.js';
import type { Gateway, GatewayReport, GatewaySink, InboundMessage } from '../gateways/gateway.js';
import { reviveError } from '../store/remote-errors.js';
import type { StoreChannel } from '../store/remote.js';
import type { TallyData } from './tally.js';
import type { EngineCalls, EngineData, EngineOp, FromEngine, GatewayState, SendItem, SinkItem, ToEngine } from './engine-protocol.js';

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/**
 * A structured clone turns a Buffer into a plain Uint8Array: give the gateways their Buffers back (the
 * SMS parts a delivery carries), sharing the same memory.
 */
function withBuffers<T>(value: T): T {
  if (value instanceof Uint8Array) return (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)) as T;
  if (Array.isArray(value)) {
    const list = value as unknown[];
    for (let i = 0; i < list.length; i++) list[i] = withBuffers(list[i]);
    return value;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) if (typeof o[k] === 'object' && o[k] !== null) o[k] = withBuffers(o[k]);
  }
  return value;
}

/** How often gateway states and the bus's interest are compared with what the engine was last told. */
const STATE_MS = 25;

/**
 * The main thread's side of the spool engine (`engine.ts`, on its own thread): the sink every gateway
 * reports to (batched into one message per turn, acknowledged once the engine has committed), the
 * gateways the engine's sends go to, the engine's events onto the main bus and its logs into the
 * main logger. Nothing here touches the database.
 */
export class SpoolHost implements GatewaySink {
  private items: SinkItem[] = [];
  private flushing: NodeJS.Immediate | null = null;
  private readonly acks = new Map<number, () => void>();
  private nextAck = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; kind: ToEngine['t']; at: number }>();
  private nextCall = 1;
  private readonly gateways = new Map<number, Gateway>();
  /** Sends handed to each provider's gateway since it was set (the engine's stubs count theirs). */
  private readonly applied = new Map<number, number>();
  private readonly told = new Map<number, string>();
  /** Each provider's current gateway generation: what was sent to an older one is handed back. */
  private readonly generations = new Map<number, number>();
  private nextGeneration = 1;
  private failureListener: ((err: Error) => void) | null = null;
  private tallyListener: ((tally: TallyData) => void) | null = null;
  private callListener: ((kind: ToEngine['t'], seconds: number) => void) | null = null;
  private interest = '';
  private readonly timer: NodeJS.Timeout;
  private failed: Error | null = null;
  /** The engine's attempts in flight, as it last said. */
  inFlightCount = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {
    worker.on('message', (m: FromEngine) => this.receive(m));
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`the spool engine's thread exited (${code})`)));
    bus.watchInterest(() => this.tellInterest());
    this.timer = setInterval(() => this.tellStates(), STATE_MS).unref();
  }

  /** Start the engine's thread on the data directory's database (migrated already) and wait until it is ready. */
  static async start(config: Config, bus: EventBus, log: Logger, logLevel: string = log.level): Promise<SpoolHost> {
    const data: EngineData = { config, logLevel };
    const worker = new Worker(new URL('../spool-worker.js', import.meta.url), { workerData: data });
    const host = new SpoolHost(worker, bus, log);
    await new Promise<void>((resolve, reject) => {
      const ready = (m: FromEngine) => m.t === 'ready' && (worker.off('message', ready), worker.off('error', reject), resolve());
      worker.on('message', ready);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the spool engine's thread exited at start (${code})`)));
    });
    host.tellInterest();
    return host;
  }

  /** Told once if the engine's thread fails (not at close): the daemon cannot go on without it. */
  onFailure(listener: (err: Error) => void): void {
    this.failureListener = listener;
  }

  /** Told what the engine counted for the metrics, as its stats bring it (every 100 ms at most). */
  onTally(listener: (tally: TallyData) => void): void {
    this.tallyListener = listener;
  }

  /** Told how long each call into the engine's thread took to answer (the store's latency as the faces see it). */
  onCallAnswered(listener: (kind: ToEngine['t'], seconds: number) => void): void {
    this.callListener = listener;
  }

  /** Whether the engine's thread is running (false once it failed: /health says so). */
  get alive(): boolean {
    return this.failed === null;
  }

  call<O extends EngineOp>(op: O, args: EngineCalls[O]['args']): Promise<EngineCalls[O]['result']> {
    return this.ask((id) => ({ t: 'call', id, op, args }) as ToEngine) as Promise<EngineCalls[O]['result']>;
  }

  /** The faces' stores, on the engine's thread (`remote(host.stores, name)`). */
  readonly stores: StoreChannel = {
    call: (store, method, args) => this.ask((id) => ({ t: 'store', id, store, method, args })),
    open: (store, method, args) => this.ask((id) => ({ t: 'storeOpen', id, store, method, args })) as Promise<number>,
    next: (gen) => this.ask((id) => ({ t: 'storeNext', id, gen })) as Promise<{ done: boolean; value: unknown }>,
    close: async (gen) => void (await this.ask((id) => ({ t: 'storeClose', id, gen }))),
  };

  private ask(message: (id: number) => ToEngine): Promise<unknown> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextCall++;
    const m = message(id);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, kind: m.t, at: performance.now() });
      try {
        this.post(m);
      } catch (err) {
        // Not cloneable (a function, a class instance): a bug of the caller's, answered at once.
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  /** The engine's thread logs at `level` from now on (its lines come through this thread's logger). */
  setLogLevel(level: string): void {
    this.post({ t: 'logLevel', level });
  }

  /** A provider's gateway now (null: it is held down). */
  setProvider(provider: Provider, gateway: Gateway | null): void {
    const id = provider.id;
    const generation = this.nextGeneration++;
    this.generations.set(id, generation);
    this.applied.set(id, 0);
    this.told.delete(id);
    if (gateway) this.gateways.set(id, gateway);
    else this.gateways.delete(id);
    const traits = gateway && { providerId: id, generation, confirmsWire: gateway.confirmsWire === true, smsLink: gateway.smsLink ?? null };
    this.post({ t: 'provider', provider, gateway: traits, state: gateway && this.stateOf(id, gateway) });
  }

  removeProvider(providerId: number): void {
    this.gateways.delete(providerId);
    this.generations.delete(providerId);
    this.post({ t: 'removeProvider', providerId });
  }

  gateway(providerId: number): Gateway | null {
    return this.gateways.get(providerId) ?? null;
  }

  allGateways(): Gateway[] {
    return [...this.gateways.values()];
  }

  // GatewaySink: what gateways say goes to the engine in one message per turn.
  report(r: GatewayReport, committed?: () => void): void {
    this.push({ k: 'report', r, ack: this.ackOf(committed) });
  }

  inbound(m: InboundMessage, committed?: () => void): void {
    this.push({ k: 'inbound', m, ack: this.ackOf(committed) });
  }

  onWire(attemptId: number, committed: () => void): void {
    this.push({ k: 'wire', attemptId, ack: this.ackOf(committed) });
  }

  flushSoon(): void {
    this.push({ k: 'flushSoon' });
  }

  health(providerId: number, up: boolean, reason?: string): void {
    this.push({ k: 'health', providerId, up, reason: reason ?? null });
  }

  /** Post what gateways said and stop the engine's thread once it has committed and closed the database. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.flushItems();
    try {
      if (!this.failed) await this.call('close', {});
    } finally {
      this.failed ??= new Error('the spool engine is closed');
      await this.worker.terminate();
      for (const p of this.pending.values()) p.reject(this.failed);
      this.pending.clear();
    }
  }

  private ackOf(committed?: () => void): number {
    if (!committed) return 0;
    const id = this.nextAck++;
    this.acks.set(id, committed);
    return id;
  }

  private push(item: SinkItem): void {
    this.items.push(item);
    this.flushing ??= setImmediate(() => this.flushItems());
  }

  private flushItems(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = null;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    // Outcomes free room: the engine learns it with them, so the claim their flush wakes can use it
    // (not one STATE_MS later, which capped a gateway of small room, SMTP's, at room per 25 ms).
    this.tellStates();
    this.post({ t: 'sink', items });
  }

  private post(m: ToEngine): void {
    if (this.failed) return;
    this.worker.postMessage(m);
  }

  private receive(m: FromEngine): void {
    switch (m.t) {
      case 'ready':
        return;
      case 'send':
        return this.deliver(m.items);
      case 'acks':
        for (const id of m.ids) {
          const ack = this.acks.get(id);
          this.acks.delete(id);
          try {
            ack?.();
          } catch (err) {
            this.log.error({ err }, 'acknowledging a committed report failed');
          }
        }
        return;
      case 'events':
        for (const e of m.events) this.bus.emit(e);
        return;
      case 'drain':
        void this.drain(m.req, m.providerId);
        return;
      case 'log':
        return this.logLine(m.line);
      case 'stats':
        this.inFlightCount = m.inFlight;
        if (m.tally) this.tallyListener?.(m.tally);
        return;
      case 'result': {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (p) this.callListener?.(p.kind, (performance.now() - p.at) / 1000);
        if (m.ok) p?.resolve(m.value);
        else p?.reject(reviveError(m.error));
        return;
      }
    }
  }

  private deliver(items: SendItem[]): void {
    const touched = new Set<number>();
    for (const { providerId, generation, d } of items) {
      const gw = this.gateways.get(providerId);
      if (!gw || this.generations.get(providerId) !== generation) {
        // Planned for a gateway that is gone (removed, reloaded, held down): it never left, so it keeps its try.
        this.report({ attemptId: d.attemptId, at: Date.now(), outcome: { kind: 'held', reason: 'its provider was removed or restarted', retryMs: 1000 } });
        continue;
      }
      this.applied.set(providerId, (this.applied.get(providerId) ?? 0) + 1);
      touched.add(providerId);
      try {
        gw.send(withBuffers(d));
      } catch (err) {
        // A gateway must not throw; if one does, the attempt fails retryably rather than hanging in flight.
        this.report({ attemptId: d.attemptId, at: Date.now(), outcome: { kind: 'failed', retryable: true, reason: `gateway error: ${(err as Error).message}` } });
      }
    }
    this.tellStates(touched);
  }

  private async drain(req: number, providerId: number): Promise<void> {
    try {
      await this.gateways.get(providerId)?.drain?.();
    } catch (err) {
      this.log.error({ err, providerId }, 'draining a gateway failed');
    }
    // What it handed back goes before the answer: the engine records it, then releases the leases.
    this.flushItems();
    this.post({ t: 'drained', req });
  }

  private stateOf(providerId: number, gw: Gateway): GatewayState {
    const room = gw.room?.() ?? null;
    return { providerId, generation: this.generations.get(providerId) ?? 0, up: gw.isUp(), room: room === Infinity ? null : room, applied: this.applied.get(providerId) ?? 0 };
  }

  /** Tell the engine each gateway's state that changed since it was last told (link up or down, room). */
  private tellStates(only?: Set<number>): void {
    const states: GatewayState[] = [];
    for (const [id, gw] of this.gateways) {
      if (only && !only.has(id)) continue;
      const s = this.stateOf(id, gw);
      // `applied` alone changing says nothing new while the gateway has no room limit.
      const key = `${s.up}:${s.room}:${s.room === null ? '' : s.applied}`;
      if (this.told.get(id) === key) continue;
      this.told.set(id, key);
      states.push(s);
    }
    if (states.length) this.post({ t: 'state', states });
    if (!only) this.tellInterest();
  }

  private tellInterest(): void {
    const types = SPOOL_EVENT_TYPES.filter((t) => this.bus.wants(t));
    const key = types.join(',');
    if (key === this.interest) return;
    this.interest = key;
    this.post({ t: 'interest', types });
  }

  private logLine(line: string): void {
    try {
      const { level, msg, time: _time, ...rest } = JSON.parse(line) as { level: number; msg?: string; time?: unknown } & Record<string, unknown>;
      this.log[LEVELS[level] ?? 'info'](rest, msg);
    } catch {
      this.log.info({ line }, 'spool engine');
    }
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = err;
    clearInterval(this.timer);
    this.log.fatal({ err }, 'the spool engine stopped: no work is dispatched or recorded');
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.failureListener?.(err);
  }
}
