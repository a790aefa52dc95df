import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Delivery, Gateway, GatewaySink } from '../gateway.js';
import type { OpenAttempt } from '../../core/jobs.js';
import type { Outcome } from '../../core/outcomes.js';
import { planTexts, type CallPlan } from '../../core/call-plan.js';
import { checkFile, dialNumber, dialstring, DialError, originateArg } from './originate.js';
import { faxOutcome, hangupHook, hangupOutcome, HANGUP_REALM, keptCallEnd, type FaxResult, type KeptCallEnd } from './hangup.js';
import { defaultT38, t38Variables, type T38Mode } from '../../core/fax.js';
import type { TtsRenderer } from '../../media/tts.js';
import { EslError, EslLink, type EslEvent } from './esl-link.js';
import type { FreeswitchSettings } from './settings.js';
import { writeGateway } from './trunk.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OutboundServer } from './outbound-socket.js';
import { FAX_IN_DIR, InboundFaxCall } from './inbound-fax.js';

export interface FreeswitchEndpoint {
  host: string;
  port: number;
  password: string;
  dialstring: string;
  prefix: string | null;
}

/** One step of an answered call: an application run on the channel, then the next step. */
type Step = { app: 'playback'; file: string } | { app: 'collect'; file: string; tries: number } | { app: 'bridge'; number: string } | { app: 'set'; variable: string; value: string } | { app: 'txfax'; file: string } | { app: 'hangup' };

interface Call {
  /** Which attempt, recipient and number the call is for (an adopted call knows no more). */
  d: Pick<Delivery, 'attemptId' | 'recipientId' | 'destination'>;
  uuid: string;
  jobUuid: string;
  /** What the answered call does; null for a fax (its steps are txfax) and for a call adopted from a previous run. */
  plan: CallPlan | null;
  files: Map<string, string>;
  steps: Step[];
  running: string | null;
  /** The application of the running step. */
  runningApp?: Step['app'];
  answeredAt: number | null;
  keypress: string | null;
  voicemail: boolean;
  ended: boolean;
  /** CHANNEL_HANGUP seen: the channel is going, nothing more is sent to it. */
  hungUp?: boolean;
  watchdog: NodeJS.Timeout | null;
  /** Placed by a previous run and hung up by this one: unanswered, it is retried rather than failed. */
  adopted?: boolean;
  fax?: { file: string; header: string | null; result: FaxResult | null; startPage: number; audio: boolean; negotiated?: boolean; timer?: NodeJS.Timeout };
}

const KEY_VAR = 'switchpost_key';

/** A fax result FreeSWITCH kept (its api_hangup_hook): spandsp's code, without its text. */
const keptFax = (f: NonNullable<KeptCallEnd['fax']>): FaxResult => ({ success: f.success, code: f.code, text: f.success ? 'OK' : `spandsp result ${f.code}`, pages: f.pages, total: f.total, t38: f.t38 });

const EVENTS = ['BACKGROUND_JOB', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'DTMF', 'CUSTOM', 'avmd::beep', 'spandsp::txfaxnegociateresult'];

/**
 * TTS and 2-way TTS calls through FreeSWITCH: texts rendered first, then bgapi originate with our own
 * origination_uuid, the call plan run step by step over sendmsg as each CHANNEL_EXECUTE_COMPLETE comes,
 * and the outcome taken from CHANNEL_HANGUP_COMPLETE (or BACKGROUND_JOB's -ERR). See README.md.
 */
export class FreeswitchGateway implements Gateway {
  private readonly link: EslLink;
  private readonly calls = new Map<string, Call>();
  private readonly byJob = new Map<string, string>();
  /** Deliveries taken whose texts are still being rendered (not yet in `calls`). */
  private dialling = 0;
  private readonly t38: T38Mode;
  /**
   * Answered calls we ended before their CHANNEL_HANGUP_COMPLETE (a refused step): their api_hangup_hook
   * still runs and stores the call's end with mod_hash, deleted when that event comes (or, if the socket
   * was lost meanwhile, by the reconcile), else it stays in FreeSWITCH's memory for ever.
   */
  private readonly unswept = new Set<string>();
  /** When the event socket was lost: calls that ended meanwhile are billed no further, lacking FreeSWITCH's word. */
  private lostAt: number | null = null;

  constructor(
    readonly providerId: number,
    private readonly endpoint: FreeswitchEndpoint,
    private readonly settings: FreeswitchSettings,
    private readonly tts: TtsRenderer,
    private readonly sink: GatewaySink,
    private readonly log: Logger,
    private readonly maxCalls = 0,
    /** The daemon's data directory: inbound faxes are written under it (needed with settings.inbound_fax). */
    private readonly dataDir: string | null = null,
  ) {
    this.link = new EslLink({ host: endpoint.host, port: endpoint.port, password: endpoint.password, events: EVENTS, timeoutMs: settings.esl_timeout_ms, reconnectMinMs: settings.reconnect_min_ms, reconnectMaxMs: settings.reconnect_max_ms }, log);
    this.t38 = settings.t38 ?? defaultT38(endpoint.dialstring);
    if (this.t38 === 'request' && endpoint.dialstring.startsWith('loopback/')) {
      log.warn({ t38: this.t38 }, `T.38 is requested over a loopback endpoint, which never answers it: faxes wait fax_negotiation_timeout_s (${settings.fax_negotiation_timeout_s} s) and go again in audio`);
    }
    this.link.on('event', (e: EslEvent) => this.onEvent(e));
    this.link.on('state', (up: boolean, reason: string) => {
      this.sink.health(providerId, up, up ? undefined : reason);
      if (!up) this.lostAt ??= Date.now();
      if (up)
        void this.loadTrunk()
          .then(() => this.reconcile())
          .then(() => this.adoptNow());
    });
  }

  async start(): Promise<void> {
    this.link.start();
    await this.startInboundFax();
  }

  /** Inbound faxes (settings.inbound_fax): FreeSWITCH's outbound event socket, one connection per call. */
  private inbound: OutboundServer | null = null;

  /** The port the inbound fax listener is bound to; null when it is off. */
  get inboundFaxPort(): number | null {
    return this.inbound?.port ?? null;
  }

  private async startInboundFax(): Promise<void> {
    const s = this.settings.inbound_fax;
    if (!s) return;
    const dataDir = this.dataDir;
    if (!dataDir) throw new Error('settings.inbound_fax needs the data directory');
    // rxfax (spandsp's TIFFOpen) does not make directories: FreeSWITCH's user must be able to write here.
    mkdirSync(join(dataDir, FAX_IN_DIR), { recursive: true });
    const log = this.log.child({ inbound: 'fax' });
    const server = new OutboundServer(
      { host: s.listen_host, port: s.listen_port, maxCalls: s.max_calls, timeoutMs: this.settings.esl_timeout_ms },
      (call) => {
        const ident = this.settings.caller_id_number?.replace(/^\+/, '') ?? null;
        void new InboundFaxCall(call, { providerId: this.providerId, dataDir, t38: this.t38, ident, resultTimeoutS: s.result_timeout_s, hangupTimeoutS: s.hangup_timeout_s }, this.sink, log).start();
      },
      log,
    );
    try {
      await server.listen();
      this.inbound = server;
      log.info({ host: s.listen_host, port: server.port }, 'inbound fax: listening for the outbound event socket');
    } catch (err) {
      // Outbound calls still go; FreeSWITCH's dialplan hangs fax calls up (the sender tries again later).
      log.error({ err: (err as Error).message, host: s.listen_host, port: s.listen_port }, 'inbound fax: could not listen; no fax is received');
    }
  }

  async stop(): Promise<void> {
    await this.inbound?.close();
    this.inbound = null;
    for (const c of this.calls.values()) if (c.watchdog) clearTimeout(c.watchdog);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    await this.link.stop();
  }

  isUp(): boolean {
    return this.link.up;
  }

  get liveCalls(): number {
    return this.calls.size;
  }

  /** Calls last minutes, not milliseconds: the provider's concurrency counts live calls (and those dialling). */
  room(): number {
    return this.maxCalls <= 0 ? Infinity : this.maxCalls - this.calls.size - this.dialling;
  }

  send(d: Delivery): void {
    this.dialling++;
    let counted = true;
    const placed = () => {
      if (counted) ((counted = false), this.dialling--);
    };
    void this.dial(d, placed).catch((err: Error) => {
      placed();
      const outcome: Outcome = err instanceof DialError ? { kind: 'failed', retryable: false, state: 'invalid', reason: err.message, code: 'dial' } : { kind: 'failed', retryable: true, reason: `could not place the call: ${err.message}` };
      this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome });
    });
  }

  private async dial(d: Delivery, placed: () => void): Promise<void> {
    if (d.kind === 'sms') throw new DialError('a FreeSWITCH provider carries calls and faxes, not SMS');
    const plan = d.kind === 'call' ? d.call : null;
    const number = dialNumber(d.destination, this.endpoint.prefix);
    const target = dialstring(this.endpoint.dialstring, this.settings.gateway, number);
    for (const r of Object.values(plan?.responses ?? {})) if (r.redirectTo) dialstring(this.endpoint.dialstring, this.settings.gateway, dialNumber(r.redirectTo, this.endpoint.prefix));
    // Every text is rendered before dialling: nothing on the call waits for speech synthesis.
    const files = new Map<string, string>();
    if (plan) for (const t of planTexts(plan)) files.set(t, checkFile(await this.tts.render(t, plan.voice)));
    if (plan?.audio) files.set(plan.message, checkFile(plan.audio));
    // A fax resumes after the pages an earlier try delivered, in audio where T.38 failed to this number (its plan says).
    const fax = d.kind === 'fax' ? { ...d.fax, file: checkFile(d.fax.file), result: null } : undefined;
    const uuid = randomUUID();
    const jobUuid = randomUUID();
    // The call's UUID is stored before it is dialled: after a crash the next run can find the call.
    await new Promise<void>((resolve) => this.sink.report({ attemptId: d.attemptId, at: Date.now(), outcome: { kind: 'dialing', peerId: uuid } }, resolve));
    const call: Call = { d, uuid, jobUuid, plan, files, steps: [], running: null, answeredAt: null, keypress: null, voicemail: false, ended: false, watchdog: null, ...(fax ? { fax } : {}) };
    this.calls.set(uuid, call);
    placed(); // counted as a live call from here on
    this.byJob.set(jobUuid, uuid);
    const caller = d.sender && /^\+?\d{3,20}$/.test(d.sender) ? d.sender : this.settings.caller_id_number;
    const arg = originateArg({
      uuid,
      dialstring: target,
      callerIdNumber: caller,
      callerIdName: this.settings.caller_id_name,
      timeoutSeconds: this.settings.originate_timeout_s,
      ignoreEarlyMedia: this.settings.ignore_early_media,
      variables: {
        ...(this.settings.amd === 'avmd' && !fax ? { execute_on_answer: 'avmd_start' } : {}),
        // T.38 as the provider says, unless it failed to this number before; ECM always.
        ...(fax ? { ...t38Variables(this.t38, fax.audio), fax_use_ecm: 'true', ...(caller ? { fax_ident: caller.replace(/^\+/, '') } : {}) } : {}),
        // mod_spandsp's fax_start_page (0-based): a retry of a partial fax sends only what did not arrive.
        ...(fax && fax.startPage > 0 ? { fax_start_page: fax.startPage } : {}),
      },
    });
    call.watchdog = setTimeout(() => void this.link.api('uuid_kill', `${uuid} ALLOTTED_TIMEOUT`).catch(() => undefined), (this.settings.originate_timeout_s + this.settings.max_call_seconds) * 1000);
    call.watchdog.unref();
    try {
      await this.link.bgapi('originate', arg, jobUuid);
    } catch (err) {
      this.forget(call);
      throw err;
    }
  }

  private onEvent(e: EslEvent): void {
    if (e.name === 'BACKGROUND_JOB') {
      const uuid = this.byJob.get(e.get('Job-UUID') ?? '');
      const call = uuid ? this.calls.get(uuid) : undefined;
      this.byJob.delete(e.get('Job-UUID') ?? '');
      const body = e.body.trim();
      // "-ERR USER_BUSY": the call never came up (a CHANNEL_HANGUP_COMPLETE may say the same).
      if (call && body.startsWith('-ERR') && !call.answeredAt) this.end(call, hangupOutcome({ cause: body.slice(4).trim().split(/\s/)[0] || 'NORMAL_TEMPORARY_FAILURE', answered: false, billsec: 0 }));
      return;
    }
    const call = this.calls.get(e.get('Unique-ID') ?? '');
    if (!call) {
      if (e.name === 'CHANNEL_HANGUP_COMPLETE') this.sweep(e.get('Unique-ID') ?? '');
      return;
    }
    switch (e.name) {
      case 'CHANNEL_PROGRESS':
      case 'CHANNEL_PROGRESS_MEDIA':
        // Ringing (180) or early media (183): still under way, its lease renewed (never dialled twice).
        if (!call.answeredAt) this.sink.report({ attemptId: call.d.attemptId, at: Date.now(), outcome: { kind: 'dialing', peerId: call.uuid } });
        return;
      case 'CHANNEL_HANGUP':
        // The running application returns after this (its CHANNEL_EXECUTE_COMPLETE): send it no next step.
        call.hungUp = true;
        return;
      case 'CHANNEL_ANSWER':
        if (call.answeredAt) return;
        call.answeredAt = Date.now();
        // FreeSWITCH keeps the call's end for us, should the event socket be away when it comes.
        void this.link.api('uuid_setvar', `${call.uuid} api_hangup_hook ${hangupHook(call.uuid)}`).catch(() => undefined);
        this.sink.report({ attemptId: call.d.attemptId, at: call.answeredAt, outcome: { kind: 'accepted', peerId: call.uuid, awaitReceipt: true } });
        call.steps = call.fax
          ? [...(call.fax.header ? [{ app: 'set' as const, variable: 'fax_header', value: call.fax.header }] : []), { app: 'txfax' as const, file: call.fax.file }, { app: 'hangup' as const }]
          : call.plan
            ? this.stepsFor(call.plan, call.files)
            : [{ app: 'hangup' as const }];
        return this.next(call);
      case 'CHANNEL_EXECUTE_COMPLETE': {
        if (e.get('Application-UUID') !== call.running) return;
        call.running = null;
        if (e.get('Application') === 'txfax' && call.fax) {
          const num = (v: string | undefined) => Number(v ?? 0) || 0;
          call.fax.result = {
            success: e.get('variable_fax_success') === '1',
            code: e.get('variable_fax_result_code') ?? '',
            text: e.get('variable_fax_result_text') ?? '',
            pages: num(e.get('variable_fax_document_transferred_pages')),
            total: num(e.get('variable_fax_document_total_pages')),
            t38: e.get('variable_fax_t38_status') ?? 'off',
          };
        }
        if (e.get('Application') === 'play_and_get_digits') {
          const key = e.get(`variable_${KEY_VAR}`) ?? '';
          if (/^[0-9*#]$/.test(key)) {
            call.keypress = key;
            const r = call.plan?.responses[key];
            call.steps = [...(r?.message ? [{ app: 'playback' as const, file: call.files.get(r.message)! }] : []), ...(r?.redirectTo ? [{ app: 'bridge' as const, number: r.redirectTo }] : []), { app: 'hangup' }];
          }
        }
        return this.next(call);
      }
      case 'CUSTOM':
        if (e.get('Event-Subclass') === 'spandsp::txfaxnegociateresult' && call.fax) {
          // spandsp's phase B: the fax machines are talking (over T.38 or audio); the fax will end by itself.
          call.fax.negotiated = true;
          if (call.fax.timer) clearTimeout(call.fax.timer);
          return;
        }
        if (e.get('Event-Subclass') !== 'avmd::beep' || call.voicemail || !call.plan) return;
        // An answering machine: stop what plays and leave the voicemail message instead.
        call.voicemail = true;
        call.steps = [{ app: 'playback', file: call.files.get(call.plan.voicemail ?? call.plan.message)! }, { app: 'hangup' }];
        call.running = null;
        void this.link.api('uuid_break', `${call.uuid} all`).then(
          () => this.next(call),
          () => undefined,
        );
        return;
      case 'CHANNEL_HANGUP_COMPLETE': {
        const cause = e.get('Hangup-Cause') ?? 'NORMAL_CLEARING';
        const billsec = Number(e.get('variable_billsec') ?? 0) || 0;
        // answer_epoch tells an adopted call (placed by a previous run) that was answered meanwhile.
        const answered = call.answeredAt !== null || Number(e.get('variable_answer_epoch') ?? 0) > 0;
        if (answered) void this.link.api('hash', `delete/${HANGUP_REALM}/${call.uuid}`).catch(() => undefined);
        if (call.adopted && !answered) return this.end(call, { kind: 'failed', retryable: true, reason: 'hung up after a restart before it was answered', code: 'restart' });
        if (call.fax && answered) {
          const r = call.fax.result;
          // The pages that arrived and a T.38 failure are stored with the attempt: the spool hands them to
          // the next try (faxHistory), after a restart too.
          return this.end(call, this.faxOutcome(r, billsec, call.fax.startPage));
        }
        // The running step's CHANNEL_EXECUTE_COMPLETE came before this: steps left means the plan was cut short.
        const cutShort = call.answeredAt !== null && !call.adopted && (call.steps.length > 0 || (call.running !== null && call.runningApp !== 'hangup'));
        const outcome = hangupOutcome({ cause, answered, billsec, cutShort });
        return this.end(call, outcome.kind === 'receipt' ? { ...outcome, cost: this.cost(billsec), call: { duration: billsec, keypress: call.keypress, voicemail: call.voicemail } } : outcome);
      }
    }
  }

  /** A fax went only when spandsp says so and every page went; otherwise it is tried again by policy. */
  private faxOutcome(r: FaxResult | null, billsec: number, before: number): Outcome {
    return faxOutcome(r, billsec, before, this.cost(billsec));
  }

  private stepsFor(plan: CallPlan, files: Map<string, string>): Step[] {
    const steps: Step[] = [];
    if (plan.header) steps.push({ app: 'playback', file: files.get(plan.header)! });
    const message = files.get(plan.message)!;
    if (plan.collect) steps.push({ app: 'collect', file: message, tries: plan.plays });
    else for (let i = 0; i < plan.plays; i++) steps.push({ app: 'playback', file: message });
    steps.push({ app: 'hangup' });
    return steps;
  }

  private next(call: Call): void {
    if (call.ended || call.running || call.hungUp) return;
    const step = call.steps.shift();
    if (!step) return;
    const appUuid = randomUUID();
    call.running = appUuid;
    call.runningApp = step.app;
    let app: string;
    let arg: string;
    switch (step.app) {
      case 'playback':
        [app, arg] = ['playback', step.file];
        break;
      case 'collect':
        // min max tries timeout terminators file invalid-file variable regexp digit-timeout
        [app, arg] = ['play_and_get_digits', `1 1 ${step.tries} 5000 # ${step.file} silence_stream://250 ${KEY_VAR} [0-9*#] 3000`];
        break;
      case 'bridge':
        [app, arg] = ['bridge', dialstring(this.endpoint.dialstring, this.settings.gateway, dialNumber(step.number, this.endpoint.prefix))];
        break;
      case 'set':
        [app, arg] = ['set', `${step.variable}=${step.value}`];
        break;
      case 'txfax':
        [app, arg] = ['txfax', step.file];
        this.watchNegotiation(call);
        break;
      case 'hangup':
        [app, arg] = ['hangup', 'NORMAL_CLEARING'];
        break;
    }
    this.link.sendmsg(call.uuid, { 'call-command': 'execute', 'execute-app-name': app, 'execute-app-arg': arg, 'Event-UUID': appUuid }).catch((err: Error) => this.stepFailed(call, app, err));
  }

  /**
   * A step FreeSWITCH refused (-ERR) can never run: the call is hung up and ends with FreeSWITCH's reason,
   * retried by policy. A link that dropped meanwhile is left to the reconcile after it is back.
   */
  private stepFailed(call: Call, app: string, err: Error): void {
    if (!(err instanceof EslError) || err.code !== 'refused' || call.ended) return;
    this.log.warn({ uuid: call.uuid, app, reply: err.message }, 'FreeSWITCH refused a call step; ending the call');
    if (call.answeredAt) this.unswept.add(call.uuid);
    void this.link.api('uuid_kill', `${call.uuid} NORMAL_TEMPORARY_FAILURE`).catch(() => undefined);
    this.end(call, { kind: 'failed', retryable: true, reason: `FreeSWITCH refused ${app}: ${err.message}`, code: 'sendmsg' });
  }

  /** A txfax with no fax negotiation within fax_negotiation_timeout_s never ends by itself: hang it up. */
  private watchNegotiation(call: Call): void {
    const fax = call.fax;
    if (!fax) return;
    fax.timer = setTimeout(() => {
      if (fax.negotiated || call.ended) return;
      this.log.warn({ uuid: call.uuid, t38: this.t38 }, 'no fax negotiation in time; hanging up');
      void this.link.api('uuid_kill', `${call.uuid} RECOVERY_ON_TIMER_EXPIRE`).catch(() => undefined);
    }, this.settings.fax_negotiation_timeout_s * 1000);
    fax.timer.unref();
  }

  /** The mod_hash entry of a call we no longer follow, deleted once its hangup hook has run. */
  private sweep(uuid: string): void {
    if (!this.unswept.delete(uuid)) return;
    void this.link.api('hash', `delete/${HANGUP_REALM}/${uuid}`).catch(() => undefined);
  }

  private cost(billsec: number): number {
    return Math.round((billsec / 60) * this.settings.cost_per_minute * 10000) / 10000;
  }

  private end(call: Call, outcome: Outcome): void {
    if (call.ended) return;
    call.ended = true;
    this.forget(call);
    this.sink.report({ attemptId: call.d.attemptId, at: Date.now(), outcome });
  }

  private forget(call: Call): void {
    if (call.watchdog) clearTimeout(call.watchdog);
    if (call.fax?.timer) clearTimeout(call.fax.timer);
    this.calls.delete(call.uuid);
    this.byJob.delete(call.jobUuid);
  }

  /** The provider's trunk as a sofia gateway: written, then (re)loaded only when it changed. */
  private async loadTrunk(): Promise<void> {
    const t = this.settings.trunk;
    const name = this.settings.gateway;
    if (!t || !name) return;
    try {
      const changed = writeGateway(name, t);
      const loaded = (await this.link.api('sofia', `status gateway ${name}`)).includes(name);
      if (changed && loaded) await this.link.api('sofia', `profile ${t.profile} killgw ${name}`);
      if (changed || !loaded) await this.link.api('sofia', `profile ${t.profile} rescan`);
    } catch (err) {
      this.log.error({ err: (err as Error).message, gateway: name }, 'could not write or load the trunk');
    }
  }

  private adoptable: OpenAttempt[] = [];

  /**
   * Calls a previous run left: once the link is up, a call still up is hung up (its plan cannot be
   * resumed) and reported from its hangup (answered or not, by answer_epoch); an answered call already
   * gone is delivered; a placed call gone before anyone saw it answered is retried by policy. The
   * dispatcher keeps those recipients leased meanwhile, so none is dialled twice by the restart.
   */
  adopt(open: OpenAttempt[]): void {
    this.adoptable.push(...open);
    if (this.link.up) void this.adoptNow();
  }

  private async adoptNow(): Promise<void> {
    const list = this.adoptable.splice(0);
    for (const a of list) {
      let exists: string;
      try {
        exists = (await this.link.api('uuid_exists', a.peerId)).trim();
      } catch {
        this.adoptable.push(a);
        continue;
      }
      const answered = a.state === 'submitted';
      if (exists === 'true') {
        const call: Call = {
          adopted: true,
          d: { attemptId: a.attemptId, recipientId: a.recipientId, destination: a.destination },
          uuid: a.peerId,
          jobUuid: '',
          plan: null,
          files: new Map(),
          steps: [],
          running: null,
          answeredAt: answered ? Date.now() : null,
          keypress: null,
          voicemail: false,
          ended: false,
          watchdog: null,
        };
        this.calls.set(a.peerId, call);
        await this.link.api('uuid_kill', `${a.peerId} NORMAL_CLEARING`).catch(() => undefined);
      } else if (answered) {
        const kept = await this.keptEnd(a.peerId);
        // The previous run stopped running the call's plan, so an end by our own switch cut it short.
        const outcome: Outcome = kept?.fax ? this.faxOutcome(keptFax(kept.fax), kept.billsec, 0) : this.goneOutcome(kept, kept?.billsec ?? null, true, 'the call ended while the daemon was down', { keypress: null, voicemail: false });
        this.sink.report({ attemptId: a.attemptId, at: Date.now(), outcome });
      } else {
        // Placed but never seen answered, and gone: whether anyone heard it is unknown; the policy retries.
        this.sink.report({ attemptId: a.attemptId, at: Date.now(), outcome: { kind: 'failed', retryable: true, reason: 'the call ended while the daemon was down', code: 'restart' } });
      }
    }
  }

  private reconcileTimer: NodeJS.Timeout | null = null;
  /** Reconciles in a row FreeSWITCH could not answer for every call. */
  private reconcileFailures = 0;

  /**
   * An answered call that ended while nobody listened, by the cause FreeSWITCH kept (hangupOutcome: one cut
   * short by our own switch is retried); delivered with `text` and `billsec` (null: FreeSWITCH kept none).
   */
  private goneOutcome(kept: KeptCallEnd | null, billsec: number | null, cutShort: boolean, text: string, heard: { keypress: string | null; voicemail: boolean }): Outcome {
    const outcome = hangupOutcome({ cause: kept?.cause ?? 'UNKNOWN', answered: true, billsec: billsec ?? 0, cutShort });
    if (outcome.kind !== 'receipt') return outcome;
    return { ...outcome, text, ...(billsec !== null ? { cost: this.cost(billsec), call: { duration: billsec, ...heard } } : {}) };
  }

  /** The end FreeSWITCH kept of a call whose channel is gone (its api_hangup_hook), read once. */
  private async keptEnd(uuid: string): Promise<KeptCallEnd | null> {
    try {
      const kept = keptCallEnd(await this.link.api('hash', `select/${HANGUP_REALM}/${uuid}`));
      if (kept) void this.link.api('hash', `delete/${HANGUP_REALM}/${uuid}`).catch(() => undefined);
      return kept;
    } catch {
      return null;
    }
  }

  /**
   * After the event socket came back: calls that ended while it was away are finished from what is known.
   * Only FreeSWITCH's "false" means gone; a call it could not answer for is checked again shortly.
   */
  private async reconcile(): Promise<void> {
    let unchecked = 0;
    for (const uuid of [...this.unswept]) {
      const exists = await this.link.api('uuid_exists', uuid).then(
        (r) => r.trim(),
        () => '',
      );
      if (exists === 'false') this.sweep(uuid);
    }
    for (const call of [...this.calls.values()]) {
      if (call.ended) continue;
      let exists: string;
      try {
        exists = (await this.link.api('uuid_exists', call.uuid)).trim();
      } catch {
        exists = '';
      }
      if (exists === 'true' || call.ended) continue;
      if (exists !== 'false') {
        unchecked++;
        continue;
      }
      // Billed to the end FreeSWITCH recorded, else to the moment the socket was lost: never to our reconnect.
      const kept = call.answeredAt ? await this.keptEnd(call.uuid) : null;
      const billsec = kept?.billsec ?? (call.answeredAt ? Math.max(0, Math.round(((this.lostAt ?? Date.now()) - call.answeredAt) / 1000)) : 0);
      if (call.ended) continue;
      // A fax is judged by spandsp's result: seen before the socket went, else kept by FreeSWITCH.
      if (call.fax && call.answeredAt) {
        this.end(call, this.faxOutcome(call.fax.result ?? (kept?.fax ? keptFax(kept.fax) : null), billsec, call.fax.startPage));
        continue;
      }
      const cutShort = call.steps.length > 0 || (call.running !== null && call.runningApp !== 'hangup');
      this.end(
        call,
        call.answeredAt
          ? this.goneOutcome(kept, billsec, cutShort, 'the call ended while the event socket was down', { keypress: call.keypress, voicemail: call.voicemail })
          : { kind: 'failed', retryable: true, reason: 'the call ended while the event socket was down', code: 'esl_down' },
      );
    }
    if (unchecked === 0) {
      this.lostAt = null;
      if (this.reconcileFailures > 0) this.log.info({ tries: this.reconcileFailures + 1 }, 'checked the calls after the event socket came back');
      this.reconcileFailures = 0;
      return;
    }
    if (this.reconcileTimer) return;
    // Said once at warn; a FreeSWITCH that keeps failing is asked again ever more slowly, quietly.
    this.reconcileFailures++;
    const delay = Math.min(this.settings.reconnect_max_ms, this.settings.reconnect_min_ms * 2 ** (this.reconcileFailures - 1));
    const say = this.reconcileFailures === 1 ? this.log.warn.bind(this.log) : this.log.debug.bind(this.log);
    say({ unchecked, tries: this.reconcileFailures, retryInMs: delay }, 'could not check calls after the event socket came back; trying again');
    this.reconcileTimer = setTimeout(() => {
      this.reconcileTimer = null;
      if (this.link.up) void this.reconcile();
    }, delay);
    this.reconcileTimer.unref();
  }
}
