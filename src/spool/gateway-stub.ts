import type { Delivery, Gateway } from '../gateways/gateway.js';
import type { SmsLink } from '../core/sms.js';
import type { GatewayState, GatewayTraits } from './engine-protocol.js';

/**
 * A gateway as the engine's pool sees it: the real one lives on the main thread with its socket. Its
 * link state and room are the main thread's last word; sends go over as messages. Room counts the sends
 * the main thread had not yet handed over when it measured, so a batch never takes more than there is.
 */
export class GatewayStub implements Gateway {
  readonly confirmsWire: boolean;
  readonly smsLink?: SmsLink;
  private up = false;
  private measured: number | null = null;
  /** Sends posted to the main thread, and how many of them its last state had counted. */
  private sent = 0;
  private applied = 0;
  /** Picked in this tick, not yet sent (the dispatcher picks a whole batch before it sends). */
  private reserved = 0;
  private clearReserved: NodeJS.Immediate | null = null;

  constructor(
    traits: GatewayTraits,
    private readonly post: (d: Delivery) => void,
    private readonly drainer: () => Promise<void>,
  ) {
    this.providerId = traits.providerId;
    this.generation = traits.generation;
    this.confirmsWire = traits.confirmsWire;
    if (traits.smsLink) this.smsLink = traits.smsLink;
  }

  readonly providerId: number;
  readonly generation: number;

  update(s: GatewayState): void {
    // A state of the gateway this one replaced (a reload) counts sends this one never made.
    if (s.generation !== this.generation) return;
    this.up = s.up;
    this.measured = s.room;
    this.applied = Math.max(this.applied, s.applied);
  }

  /** The link's own word, told through the sink before the main thread's next state. */
  setUp(up: boolean): void {
    this.up = up;
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  isUp(): boolean {
    return this.up;
  }

  hasCapacity(): boolean {
    return this.room() > 0;
  }

  /** What it can take now: the main thread's measure, less the sends it had not counted and this tick's picks. */
  room(): number {
    return this.measured === null ? Infinity : this.measured - Math.max(0, this.sent - this.applied) - this.reserved;
  }

  reserve(): void {
    this.reserved++;
    // A pick whose send never came (its transaction failed) must not hold room for ever.
    this.clearReserved ??= setImmediate(() => ((this.reserved = 0), (this.clearReserved = null)));
  }

  send(d: Delivery): void {
    if (this.reserved > 0) this.reserved--;
    this.sent++;
    this.post(d);
  }

  drain(): Promise<void> {
    return this.drainer();
  }
}
