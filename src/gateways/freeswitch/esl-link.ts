import { EventEmitter } from 'node:events';
import esl, { type Connection, type Event as RawEvent } from 'modesl';
import type { Logger } from 'pino';
import { reconnectDelay } from '../../core/backoff.js';

export interface EslSettings {
  host: string;
  port: number;
  password: string;
  /** Event names to subscribe to (json). */
  events: string[];
  /** Every api, bgapi and sendmsg gets an answer within this, or the link is reset. */
  timeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

/** An event as the gateway reads it: FreeSWITCH's own header names. */
export interface EslEvent {
  name: string;
  get(header: string): string | undefined;
  body: string;
}

/** Why a request failed: the link was down or dropped, no answer in time, a line break refused, or FreeSWITCH said -ERR. */
export type EslErrorCode = 'down' | 'timeout' | 'line_break' | 'refused';

/**
 * A request to FreeSWITCH that failed, typed as esl-lite types it: `code` says why, `command` names
 * the request ("sendmsg playback", "api status"), and a refusal carries FreeSWITCH's own reply text
 * (its message too), so a caller tells "no such channel" from a lost link without parsing messages.
 */
export class EslError extends Error {
  override name = 'EslError';
  constructor(
    readonly code: EslErrorCode,
    message: string,
    /** The request that failed (its verb and command), when there was one. */
    readonly command: string | null = null,
    /** FreeSWITCH's Reply-Text for a refused request ('' when it sent none); null for any other code. */
    readonly reply: string | null = null,
  ) {
    super(message);
  }
}

/**
 * One inbound Event Socket connection to FreeSWITCH over `modesl`, kept up: authenticate, subscribe,
 * reconnect with backoff and jitter (a new connection object each time, so handlers never double),
 * a timeout on every request (modesl has none, and answers replies in FIFO order: a lost reply would
 * shift every later one, so a timeout resets the link), pending requests failed when the link drops.
 * Emits 'event' (EslEvent) and 'state' (up, reason).
 */
export class EslLink extends EventEmitter {
  private conn: Connection | null = null;
  private isUp = false;
  private running = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Each waiting request's failure, with the request it is for: drop() fails them all, naming each. */
  private readonly pending = new Map<(err: EslError) => void, string>();
  /** Why we reset the link ourselves, for the one warning its loss gets. */
  private resetReason: string | null = null;

  constructor(
    private readonly settings: EslSettings,
    private readonly log: Logger,
    private readonly rand: () => number = Math.random,
  ) {
    super();
  }

  get up(): boolean {
    return this.isUp;
  }

  start(): void {
    this.running = true;
    this.connect();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const conn = this.conn;
    this.drop('stopped');
    try {
      conn?.disconnect();
    } catch {
      // already gone
    }
  }

  private connect(): void {
    if (!this.running) return;
    const conn = new esl.Connection(this.settings.host, this.settings.port, this.settings.password);
    this.conn = conn;
    conn.socket?.setNoDelay(true);
    conn.socket?.setTimeout(this.settings.timeoutMs, () => {
      if (!this.isUp) conn.socket?.destroy(new Error('connect or auth timed out'));
    });
    conn.on('esl::ready', () => {
      if (this.conn !== conn) return;
      conn.events('json', this.settings.events.join(' '), () => {
        if (this.conn !== conn) return;
        conn.socket?.setTimeout(0);
        this.failures = 0;
        this.isUp = true;
        this.log.info({ host: this.settings.host, port: this.settings.port }, 'event socket connected');
        this.emit('state', true, 'connected');
      });
    });
    conn.on('esl::event::auth::fail', () => {
      this.failures += 2;
      this.log.error({ host: this.settings.host }, 'event socket refused the password');
    });
    conn.on('esl::event::**', (e: RawEvent, headers: Record<string, string>) => {
      if (this.conn !== conn) return;
      const type = headers?.['Content-Type'];
      if (type === 'text/event-json') {
        this.emit('event', { name: e.getHeader('Event-Name') ?? '', get: (h: string) => e.getHeader(h), body: e.getBody() } satisfies EslEvent);
      } else if (type === 'text/disconnect-notice') {
        conn.socket?.destroy();
      }
    });
    const ended = (why: string) => {
      if (this.conn !== conn) return;
      this.conn = null;
      this.drop(why);
      this.scheduleReconnect();
    };
    conn.on('esl::end', () => ended('connection closed'));
    conn.on('error', (err: Error) => {
      // A lost link is logged once (drop()); the failed reconnects that follow are not news.
      this.log.debug({ err: err.message }, 'event socket error');
      conn.socket?.destroy();
      ended(err.message);
    });
    conn.socket?.on('close', () => ended('connection closed'));
  }

  private drop(reason: string): void {
    const wasUp = this.isUp;
    this.isUp = false;
    for (const [fail, what] of [...this.pending]) fail(new EslError('down', `event socket ${reason} before the answer`, what));
    this.pending.clear();
    const why = this.resetReason ?? reason;
    this.resetReason = null;
    if (wasUp && this.running) this.log.warn({ host: this.settings.host, port: this.settings.port, reason: why }, 'event socket lost; reconnecting');
    if (wasUp) this.emit('state', false, reason);
  }

  private scheduleReconnect(): void {
    if (!this.running || this.timer) return;
    const delay = reconnectDelay(this.failures++, this.settings.reconnectMinMs, this.settings.reconnectMaxMs, this.rand());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
    this.timer.unref();
  }

  /** Reset the link now (it reconnects). */
  reset(reason: string): void {
    this.resetReason = reason;
    this.conn?.socket?.destroy();
  }

  private request<T>(what: string, send: (conn: Connection, done: (v: T | EslError) => void) => void): Promise<T> {
    const conn = this.conn;
    if (!conn || !this.isUp) return Promise.reject(new EslError('down', `event socket is down (${what})`, what));
    return new Promise<T>((resolve, reject) => {
      const fail = (err: EslError) => {
        clearTimeout(timer);
        this.pending.delete(fail);
        reject(err);
      };
      const timer = setTimeout(() => {
        fail(new EslError('timeout', `no answer to ${what} within ${this.settings.timeoutMs} ms`, what));
        this.reset(`no answer to ${what}`);
      }, this.settings.timeoutMs);
      this.pending.set(fail, what);
      send(conn, (v) => {
        clearTimeout(timer);
        if (!this.pending.delete(fail)) return;
        if (v instanceof EslError) reject(v);
        else resolve(v);
      });
    });
  }

  /** api: the response body. */
  api(command: string, args: string): Promise<string> {
    if (!oneLine(command, args)) return Promise.reject(lineBreak(`api ${command}`));
    return this.request(`api ${command}`, (conn, done) => conn.api(command, args, (e: RawEvent) => done(e.getBody())));
  }

  /** bgapi with our Job-UUID; resolves when FreeSWITCH took the job (its result is a BACKGROUND_JOB event). */
  bgapi(command: string, args: string, jobUuid: string): Promise<void> {
    if (!oneLine(command, args, jobUuid)) return Promise.reject(lineBreak(`bgapi ${command}`));
    return this.request(`bgapi ${command}`, (conn, done) => {
      conn.bgapi(command, args, jobUuid);
      // modesl answers bgapi's command/reply through its FIFO without telling us; the BACKGROUND_JOB
      // event is the real answer, so taking the job is enough here.
      done(undefined);
    });
  }

  /** sendmsg to a channel (execute an application, hang up); resolves on +OK, rejects (code refused) with FreeSWITCH's -ERR. */
  sendmsg(uuid: string, headers: Record<string, string>): Promise<void> {
    const what = `sendmsg ${headers['execute-app-name'] ?? headers['call-command'] ?? ''}`;
    if (!oneLine(uuid, ...Object.keys(headers), ...Object.values(headers))) return Promise.reject(lineBreak(what));
    return this.request(what, (conn, done) =>
      conn.sendRecv(`sendmsg ${uuid}`, headers, (e: RawEvent) => {
        const reply = e.getHeader('Reply-Text') ?? '';
        done(reply.startsWith('+OK') ? undefined : new EslError('refused', reply || 'no Reply-Text', what, reply));
      }),
    );
  }
}

const lineBreak = (what: string): EslError => new EslError('line_break', 'a value for the event socket contains a line break', what);

/** The last line of defence: nothing that could end an ESL command reaches the socket. */
const oneLine = (...parts: string[]): boolean => parts.every((p) => !/[\r\n]/.test(p));
