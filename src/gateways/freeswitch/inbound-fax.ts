import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { InboundFax, InboundMessage } from '../../core/inbound.js';
import { t38Variables, type T38Mode } from '../../core/fax.js';
import { receivedFaxToPdf } from '../../media/received-fax.js';
import type { GatewaySink } from '../gateway.js';
import type { EslEvent } from './esl-link.js';
import type { EslHeaders, OutboundCall } from './outbound-socket.js';
import { callNumber, rxfaxResult, type RxfaxResult } from './rxfax-result.js';
import { checkFile } from './originate.js';

export interface InboundFaxOptions {
  providerId: number;
  /** The daemon's data directory; received faxes go to media/fax-in/ under it. */
  dataDir: string;
  t38: T38Mode;
  /** Our fax station id (fax_ident): the provider's caller_id_number, already validated. */
  ident: string | null;
  resultTimeoutS: number;
  hangupTimeoutS: number;
}

/** Where received faxes are kept, relative to the data directory. */
export const FAX_IN_DIR = join('media', 'fax-in');

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * One inbound fax call over its outbound Event Socket: connect (the channel's data), myevents (its
 * events only, json), spandsp's CUSTOM rxfax events, linger (so CHANNEL_HANGUP_COMPLETE still comes
 * after the hangup); then, each step on the previous one's CHANNEL_EXECUTE_COMPLETE, the T.38 and ECM
 * variables, answer, rxfax into a file named by us (nothing from the network names a path or goes into
 * a command), hangup. A watchdog hangs up a call with no result in `resultTimeoutS`, and closes the
 * socket of one whose hangup does not follow in `hangupTimeoutS` (the dialplan's next action then hangs
 * it up). At the end the TIFF becomes a PDF and the fax is reported to the sink, failed or partial too.
 */
export class InboundFaxCall {
  /** Our own name for the call's files. */
  private readonly id = randomUUID();
  private readonly tiff: string;
  private uuid = '';
  private from = '';
  private to: string | null = null;
  private answeredAt: number | null = null;
  private resultAt: number | null = null;
  private result: RxfaxResult | null = null;
  private running: string | null = null;
  private steps: { app: string; arg: string }[] = [];
  private hangupSent = false;
  private finished = false;
  private resultTimer: NodeJS.Timeout | null = null;
  private hangupTimer: NodeJS.Timeout | null = null;
  /** We hung up for want of a result (spandsp's result then is the hangup's). */
  private timedOut = false;
  /** Why the call ended without a result, for the report. */
  private why = 'the call ended before the fax began';

  constructor(
    private readonly call: OutboundCall,
    private readonly opts: InboundFaxOptions,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
  ) {
    this.tiff = join(opts.dataDir, FAX_IN_DIR, `${this.id}.tif`);
    call.on('event', (e: EslEvent) => this.onEvent(e));
    call.once('close', () => void this.finish());
  }

  /** The TIFF path rxfax is told to write (ours: a fresh UUID under the data directory). */
  get tiffPath(): string {
    return this.tiff;
  }

  async start(): Promise<void> {
    let channel: EslHeaders;
    try {
      channel = (await this.call.command('connect')).headers;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'inbound fax: no channel data from FreeSWITCH');
      return this.call.close();
    }
    const uuid = channel.get('Unique-ID') ?? '';
    if (!UUID.test(uuid)) {
      this.log.warn({ uuid: uuid.slice(0, 64) }, 'inbound fax: the channel data has no Unique-ID; closing');
      return this.call.close();
    }
    this.uuid = uuid;
    this.from = callNumber(channel.get('Caller-Caller-ID-Number')) ?? '';
    // The number FreeSWITCH routed on (the request URI's user); the To header's user when it has none.
    this.to = callNumber(channel.get('Caller-Destination-Number')) ?? callNumber(channel.get('variable_sip_to_user'));
    this.resultTimer = setTimeout(() => this.noResult(), this.opts.resultTimeoutS * 1000);
    this.resultTimer.unref();
    try {
      await this.call.command('myevents json');
      await this.call.command('event json CUSTOM spandsp::rxfaxresult spandsp::rxfaxnegociateresult');
      await this.call.command(`linger ${this.opts.hangupTimeoutS + 5}`);
    } catch (err) {
      this.log.warn({ uuid, err: (err as Error).message }, 'inbound fax: FreeSWITCH refused the event subscription; closing');
      this.why = 'the event subscription failed';
      return this.call.close();
    }
    try {
      // Ours, but it goes into a command: the same strict path rule as txfax's files.
      checkFile(this.tiff);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'inbound fax: the data directory makes an unsafe rxfax path; closing');
      this.why = 'the data directory makes an unsafe rxfax path';
      return this.call.close();
    }
    const t38 = t38Variables(this.opts.t38, false);
    this.steps = [
      { app: 'set', arg: `fax_enable_t38=${t38.fax_enable_t38}` },
      { app: 'set', arg: `fax_enable_t38_request=${t38.fax_enable_t38_request}` },
      { app: 'set', arg: 'fax_use_ecm=true' },
      ...(this.opts.ident ? [{ app: 'set', arg: `fax_ident=${this.opts.ident}` }] : []),
      { app: 'answer', arg: '' },
      { app: 'rxfax', arg: this.tiff },
    ];
    this.log.info({ uuid, from: this.from, to: this.to }, 'inbound fax call');
    this.next();
  }

  private next(): void {
    if (this.finished || this.running || this.hangupSent) return;
    const step = this.steps.shift();
    if (!step) return;
    const eventUuid = randomUUID();
    this.running = eventUuid;
    this.call.execute(step.app, step.arg, eventUuid).catch((err: Error) => {
      if (this.finished) return;
      this.log.warn({ uuid: this.uuid, app: step.app, err: err.message }, 'inbound fax: a step failed; hanging up');
      this.why = `FreeSWITCH refused ${step.app}: ${err.message}`;
      this.hangup('NORMAL_TEMPORARY_FAILURE');
    });
  }

  private onEvent(e: EslEvent): void {
    if (this.finished || (e.get('Unique-ID') ?? '') !== this.uuid) return;
    switch (e.name) {
      case 'CHANNEL_ANSWER':
        this.answeredAt ??= Date.now();
        return;
      case 'CUSTOM':
        if (e.get('Event-Subclass') === 'spandsp::rxfaxresult') this.gotResult(rxfaxResult((h) => e.get(h)));
        return;
      case 'CHANNEL_EXECUTE_COMPLETE': {
        if (e.get('Application-UUID') !== this.running) return;
        this.running = null;
        const app = e.get('Application');
        if (app === 'answer') this.answeredAt ??= Date.now();
        if (app === 'rxfax') {
          // rxfax returned: its file is closed. No result on it: it never reached phase E.
          this.gotResult(rxfaxResult((h) => e.get(h)));
          if (!this.result) this.why = `rxfax ended without a result${e.get('Application-Response') ? `: ${e.get('Application-Response')}` : ''}`;
          return this.hangup('NORMAL_CLEARING');
        }
        return this.next();
      }
      case 'CHANNEL_HANGUP_COMPLETE':
        // Its variables hold spandsp's result when rxfax got that far and we missed it.
        if (!this.result) this.gotResult(rxfaxResult((h) => e.get(h)));
        if (!this.result) this.why = `hung up (${e.get('Hangup-Cause') ?? 'no cause'}) before the fax ended`;
        void this.finish();
        return;
    }
  }

  private gotResult(r: RxfaxResult | null): void {
    if (!r || this.result) return;
    this.result = r;
    this.resultAt = Date.now();
    if (this.resultTimer) clearTimeout(this.resultTimer);
  }

  /** No result in time: rxfax waits for ever on a T.38 request nobody answers, or a line with no fax on it. */
  private noResult(): void {
    if (this.finished || this.result) return;
    this.log.warn({ uuid: this.uuid, seconds: this.opts.resultTimeoutS }, 'inbound fax: no fax result in time; hanging up');
    this.why = `no fax result within ${this.opts.resultTimeoutS} s`;
    this.timedOut = true;
    this.hangup('RECOVERY_ON_TIMER_EXPIRE');
  }

  /** Hang up, and make sure the call ends: its hangup must follow within hangupTimeoutS. */
  private hangup(cause: string): void {
    if (this.hangupSent || this.finished) return;
    this.hangupSent = true;
    this.steps = [];
    this.call.hangup(cause).catch(() => undefined);
    this.hangupTimer = setTimeout(() => {
      if (this.finished) return;
      this.log.warn({ uuid: this.uuid, seconds: this.opts.hangupTimeoutS }, 'inbound fax: the hangup did not follow; closing the socket');
      // Closed, the socket application returns and the dialplan's next action hangs the call up.
      this.call.close();
    }, this.opts.hangupTimeoutS * 1000);
    this.hangupTimer.unref();
  }

  /** Once: the socket closed, the PDF made of what arrived, the fax reported. */
  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.resultTimer) clearTimeout(this.resultTimer);
    if (this.hangupTimer) clearTimeout(this.hangupTimer);
    this.call.close();
    // A connection refused before its channel was known (no data, no Unique-ID) is no call.
    if (!this.uuid) return;
    const r = this.result;
    let pdf: string | null = null;
    let pages = r?.pages ?? 0;
    let problem: string | null = null;
    try {
      const doc = await receivedFaxToPdf(this.tiff, join(this.opts.dataDir, FAX_IN_DIR, `${this.id}.pdf`));
      pdf = doc.pdf ? join(FAX_IN_DIR, `${this.id}.pdf`) : null;
      // The pages the owner gets: those in the document (spandsp counts the same when the file is whole).
      if (doc.pdf) pages = doc.pages;
      else pages = 0;
    } catch (err) {
      problem = (err as Error).message;
      this.log.error({ uuid: this.uuid, err: problem }, 'inbound fax: the received TIFF could not be made a PDF; the TIFF is kept');
    }
    const fax: InboundFax = {
      call_uuid: this.uuid,
      pdf,
      pages,
      ...(r?.total !== undefined ? { total_pages: r.total } : {}),
      success: r?.success ?? false,
      result_code: r?.code ?? -1,
      result_text: r ? (this.timedOut ? `${this.why} (spandsp: ${r.text})` : r.text) : this.why,
      ...(r?.remoteStationId ? { remote_station_id: r.remoteStationId } : {}),
      ...(r?.resolution ? { resolution: r.resolution } : {}),
      ...(r?.transferRate !== undefined ? { transfer_rate: r.transferRate } : {}),
      ...(r?.t38 ? { t38: r.t38 } : {}),
      ...(this.answeredAt && this.resultAt ? { duration_s: Math.max(0, Math.round((this.resultAt - this.answeredAt) / 1000)) } : {}),
    };
    const text = `${fax.success ? 'fax received' : 'fax failed'}: ${pages} page${pages === 1 ? '' : 's'}${fax.success ? '' : ` (${fax.result_text})`}`;
    const m: InboundMessage = { providerId: this.opts.providerId, channel: 'fax', from: this.from, to: this.to, text, at: Date.now(), data: { fax } };
    this.log.info({ uuid: this.uuid, success: fax.success, pages, code: fax.result_code }, 'inbound fax received');
    try {
      // The TIFF goes once the PDF holding its pages is stored and the report committed.
      this.sink.inbound(m, () => {
        if (pdf && !problem) rmSync(this.tiff, { force: true });
      });
    } catch (err) {
      // A report after the spool stopped (the daemon stopping under a call): the files stay for a look.
      this.log.error({ uuid: this.uuid, err: (err as Error).message }, 'inbound fax: could not be reported');
    }
  }
}
