/**
 * What the daemon's main thread and the spool engine's worker thread (`engine.ts`) say to each other.
 * The engine owns the spool's SQLite connection and every decision made on it (claim, group commit,
 * callbacks); the main thread owns the sockets (HTTP, SMPP, ESL, Kannel) and so the gateways. Only
 * plain data crosses (structured clone): rows, deliveries, reports, events, numbers.
 */
import type { Delivery, GatewayReport, InboundMessage } from '../gateways/gateway.js';
import type { SmsLink } from '../core/sms.js';
import type { OpenAttempt } from '../core/jobs.js';
import type { SpoolEvent } from '../events/bus.js';
import type { Provider } from '../store/providers.js';
import type { Config } from '../config/schema.js';
import type { SentError } from '../store/remote-errors.js';
import type { TallyData } from './tally.js';

/** One thing a gateway told its sink; `ack` (0: none) is answered in `acks` once it is durable. */
export type SinkItem =
  { k: 'report'; r: GatewayReport; ack: number } | { k: 'inbound'; m: InboundMessage; ack: number } | { k: 'wire'; attemptId: number; ack: number } | { k: 'flushSoon' } | { k: 'health'; providerId: number; up: boolean; reason: string | null };

/** What the engine's pool needs of a gateway that never changes while it lives. */
export interface GatewayTraits {
  providerId: number;
  /** Which of the provider's gateways (a reload makes a new one): sends and states name it. */
  generation: number;
  confirmsWire: boolean;
  smsLink: SmsLink | null;
}

/**
 * A gateway's state as the main thread last saw it. `room`: how many more it can take (a call
 * gateway's channels), null for no limit of its own; `applied`: how many of the engine's sends to it
 * the main thread had handed over when it measured `room` (the later ones still count against it).
 */
export interface GatewayState {
  providerId: number;
  generation: number;
  up: boolean;
  room: number | null;
  applied: number;
}

/** What the main thread asks of the engine, and what each answers. */
export interface EngineCalls {
  /** Attempts a previous run left open on a provider (calls placed or up), for its gateway to reconcile. */
  openWithPeer: { args: { providerId: number }; result: OpenAttempt[] };
  /** Start dispatching; `adopted` stay leased while their gateway reconciles them. */
  start: { args: { adopted: number[] }; result: null };
  jobCreated: { args: { jobId: number }; result: null };
  wake: { args: Record<string, never>; result: null };
  /** Stop taking work and give in-flight attempts `graceMs` (gateways are drained through `drain`). */
  stopDispatch: { args: { graceMs: number }; result: null };
  /** The watchdog's store probe (ops/watchdog.ts): a cheap read answered by this thread's connection. */
  probe: { args: Record<string, never>; result: number };
  /** Commit what is queued and close the database. */
  close: { args: Record<string, never>; result: null };
}
export type EngineOp = keyof EngineCalls;

export type ToEngine =
  | { t: 'sink'; items: SinkItem[] }
  | { t: 'state'; states: GatewayState[] }
  | { t: 'provider'; provider: Provider; gateway: GatewayTraits | null; state: GatewayState | null }
  | { t: 'removeProvider'; providerId: number }
  /** The event types someone on the main thread listens to now (the engine builds no others). */
  | { t: 'interest'; types: SpoolEvent['type'][] }
  | { t: 'drained'; req: number }
  /** The log level now (`switchpost log-level`, a reload): the thread's logger follows it. */
  | { t: 'logLevel'; level: string }
  /** A face's store call (`store/remote.ts`); paging calls open a generator, read it a page at a time and close it. */
  | { t: 'store'; id: number; store: string; method: string; args: unknown[] }
  | { t: 'storeOpen'; id: number; store: string; method: string; args: unknown[] }
  | { t: 'storeNext'; id: number; gen: number }
  | { t: 'storeClose'; id: number; gen: number }
  | { [O in EngineOp]: { t: 'call'; id: number; op: O; args: EngineCalls[O]['args'] } }[EngineOp];

export interface SendItem {
  providerId: number;
  generation: number;
  d: Delivery;
}

export type FromEngine =
  | { t: 'ready' }
  | { t: 'send'; items: SendItem[] }
  | { t: 'acks'; ids: number[] }
  | { t: 'events'; events: SpoolEvent[] }
  /** Put nothing more on the wire and hand back what is held (a stop past its grace); answered by `drained`. */
  | { t: 'drain'; req: number; providerId: number }
  | { t: 'log'; line: string }
  /** Attempts in flight, and what was counted for the metrics since the last stats (null: nothing). */
  | { t: 'stats'; inFlight: number; tally: TallyData | null }
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: SentError };

/** What the worker is started with. */
export interface EngineData {
  config: Config;
  logLevel: string;
}
