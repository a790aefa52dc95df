import type { Channel } from '../core/model.js';
import type { DeliveryPlan } from '../core/delivery-plan.js';
import type { Outcome } from '../core/outcomes.js';
import type { SmsLink } from '../core/sms.js';
import type { OpenAttempt } from '../core/jobs.js';
import type { InboundDetails, InboundMessage } from '../core/inbound.js';

/** A provider as a driver reads it: its columns and its settings (the store's provider is one). */
export interface ProviderEntry {
  id: number;
  name: string;
  host: string | null;
  port: number | null;
  username: string | null;
  password: string | null;
  dialstring: string | null;
  prefix: string | null;
  throughput: number;
  concurrency: number;
  settings: Record<string, unknown>;
}

/** One attempt handed to a gateway: everything it needs, already merged, validated and planned by the core. */
export type Delivery = DeliveryBase & DeliveryPlan;

export type SmsDelivery = Extract<Delivery, { kind: 'sms' }>;
export type CallDelivery = Extract<Delivery, { kind: 'call' }>;
export type FaxDelivery = Extract<Delivery, { kind: 'fax' }>;
export type MmsDelivery = Extract<Delivery, { kind: 'mms' }>;

interface DeliveryBase {
  attemptId: number;
  recipientId: number;
  jobId: number;
  channel: Channel;
  /** E.164 number or e-mail address. */
  destination: string;
  sender: string | null;
  /** The recipient's last try by its retry policy (a gateway that `confirmsWire` sends it only once recorded). */
  lastTry?: boolean;
}

/** An outcome for an attempt, by its id or, for receipts, by the peer's message id. */
export type GatewayReport = { attemptId: number; outcome: Outcome; at: number } | { providerId: number; peerId: string; outcome: Outcome; at: number };

// In the core since a face injects one too (uContact); named here for the drivers.
export type { InboundDetails, InboundMessage };

/**
 * Where a gateway reports; the spool's recorder implements it. `committed` is called once the report is
 * durable: a gateway acknowledges a receipt or an MO to its peer only then, so a crash makes the peer resend.
 */
export interface GatewaySink {
  report(r: GatewayReport, committed?: () => void): void;
  inbound(m: InboundMessage, committed?: () => void): void;
  /** Record that this attempt goes on the wire now (see `Gateway.confirmsWire`); `committed` once it is durable. */
  onWire?(attemptId: number, committed: () => void): void;
  /** Commit what is queued now rather than at the next group commit: the gateway waits on it. */
  flushSoon?(): void;
  /** The link went up or down; the spool holds work for a provider that is down. */
  health(providerId: number, up: boolean, reason?: string): void;
}

/** What a peer's POST brought: its headers and its body as bytes, for the driver's protocol code to parse. */
export interface GatewayRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An HTTP endpoint a gateway's peer calls back (Kannel's dlr-url and get-url, an MMSC's MM7 requests), served by the daemon. */
export interface GatewayRoute {
  method: 'GET' | 'POST';
  path: string;
  /** The raw query string (without "?") and the request; resolves with the answer (plain text unless `contentType`) once what it reports is stored. */
  handle(rawQuery: string, request: GatewayRequest): Promise<{ status: number; body: string; contentType?: string }>;
}

export interface GatewayContext {
  /** The daemon's own base URL (for callbacks its peers make). */
  baseUrl: string;
}

export interface Gateway {
  readonly providerId: number;
  /** Endpoints to serve; registered before the daemon listens. */
  readonly routes?: GatewayRoute[];
  start(ctx: GatewayContext): Promise<void>;
  stop(): Promise<void>;
  isUp(): boolean;
  /** Calls up or dialling now, for a gateway that places calls (the status page's live calls); none: it places none. */
  readonly liveCalls?: number;
  /** How many more it can take now (a call gateway's live channels count until they hang up); none: no limit of its own. */
  room?(): number;
  /** Whether it can take one more now: what the spool's pool asks (its stub answers from `room`). */
  hasCapacity?(): boolean;
  /** The pool picked it for a delivery that send() will bring in this tick: count it from now. */
  reserve?(): void;
  /**
   * At a stop past its grace: put nothing more on the wire, and report what was handed over but never sent
   * as held (its try is given back) before the spool releases the leases.
   */
  drain?(): void | Promise<void>;
  /** At start: attempts a previous run left open on this provider (calls placed or up), to reconcile. */
  adopt?(open: OpenAttempt[]): void;
  /**
   * It sends a last try only after `GatewaySink.onWire` has committed: until then the attempt is marked
   * unsent, and a crash gives its try back instead of counting a try that never went.
   */
  readonly confirmsWire?: boolean;
  /** How it codes SMS (an SMS gateway): the spool plans each text's parts for it. */
  readonly smsLink?: SmsLink;
  /** Must not throw: every problem becomes a report. */
  send(d: Delivery): void;
}
