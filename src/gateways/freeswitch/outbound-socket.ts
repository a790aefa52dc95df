import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Logger } from 'pino';
import { EslError, type EslEvent } from './esl-link.js';

/** Headers as FreeSWITCH sent them, decoded. */
export type EslHeaders = ReadonlyMap<string, string>;

/** An answer to a command: its headers (command/reply) or body (api/response). */
export interface EslReply {
  headers: EslHeaders;
  body: string;
}

/** No header block or body from FreeSWITCH is larger (a CHANNEL_DATA with every variable is some kilobytes). */
const MAX_FRAME = 1024 * 1024;

/**
 * FreeSWITCH url-encodes plain header values (switch_event_serialize → switch_url_encode), but leaves a
 * "%XX" already in a value as it is and encodes each byte that is not ASCII on its own: a caller's
 * name in Latin-1, or a literal "%E9" in it, decodes to bytes that are not UTF-8. decodeURIComponent
 * throws on those (modesl's parser does just that, from a socket handler: the process would die on a
 * caller's display name), so the bytes are decoded here and read as UTF-8 with replacement.
 */
export function decodeHeaderValue(v: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(v)) return v;
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(v.slice(i + 1, i + 3))) {
      bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x100)
      bytes.push(c); // read as latin1: one char per byte
    else bytes.push(...Buffer.from(v[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) headers.set(line.slice(0, i), decodeHeaderValue(line.slice(i + 2)));
  }
  return headers;
}

/** A text/event-json body as an EslEvent; null when it is not a JSON object of strings. */
function jsonEvent(body: string): EslEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return null;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return null;
  const fields = data as Record<string, unknown>;
  const get = (h: string): string | undefined => (typeof fields[h] === 'string' ? (fields[h] as string) : undefined);
  return { name: get('Event-Name') ?? '', get, body: get('_body') ?? '' };
}

/**
 * One call's outbound Event Socket (FreeSWITCH connected to us from the dialplan's `socket` application):
 * the framing of mod_event_socket read by us — header blocks ended by an empty line, a body of
 * Content-Length bytes —, commands answered in order (command/reply, api/response), every command with a
 * time limit, no line break in anything sent. Emits 'event' (EslEvent, text/event-json), 'disconnect'
 * (text/disconnect-notice's headers) and 'close'.
 */
export class OutboundCall extends EventEmitter {
  private buffer = Buffer.alloc(0);
  private readonly waiting: { what: string; resolve: (r: EslReply) => void; reject: (e: EslError) => void; timer: NodeJS.Timeout }[] = [];
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send a command (a verb and its arguments, then headers); resolves with its reply. */
  command(line: string, headers: Record<string, string> = {}): Promise<EslReply> {
    const what = line.split(' ')[0] === 'sendmsg' ? `sendmsg ${headers['execute-app-name'] ?? headers['call-command'] ?? ''}` : line.split(' ')[0]!;
    if (this.closed) return Promise.reject(new EslError('down', `the call's event socket is closed (${what})`, what));
    if ([line, ...Object.keys(headers), ...Object.values(headers)].some((p) => /[\r\n]/.test(p))) {
      return Promise.reject(new EslError('line_break', 'a value for the event socket contains a line break', what));
    }
    return new Promise<EslReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new EslError('timeout', `no answer to ${what} within ${this.timeoutMs} ms`, what));
        // Replies come in order: one missing would shift every later one onto the wrong command.
        this.close();
      }, this.timeoutMs);
      timer.unref();
      this.waiting.push({ what, resolve, reject, timer });
      this.socket.write(`${[line, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\n')}\n\n`);
    });
  }

  /** Run an application on the call (async: the reply is +OK at once, its CHANNEL_EXECUTE_COMPLETE names `eventUuid`). */
  async execute(app: string, arg: string, eventUuid: string): Promise<void> {
    const r = await this.command('sendmsg', { 'call-command': 'execute', 'execute-app-name': app, 'execute-app-arg': arg, 'Event-UUID': eventUuid });
    const reply = r.headers.get('Reply-Text') ?? '';
    if (!reply.startsWith('+OK')) throw new EslError('refused', reply || 'no Reply-Text', `sendmsg ${app}`, reply);
  }

  /** Hang the call up with a cause (sendmsg call-command: hangup). */
  async hangup(cause: string): Promise<void> {
    await this.command('sendmsg', { 'call-command': 'hangup', 'hangup-cause': cause });
  }

  close(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new EslError('down', `the call's event socket closed before the answer to ${w.what}`, w.what));
    }
    this.emit('close');
  }

  private onData(d: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, d]);
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) {
        if (this.buffer.length > MAX_FRAME) this.close();
        return;
      }
      if (end > MAX_FRAME) return this.close();
      const headers = parseHeaders(this.buffer.subarray(0, end).toString('latin1'));
      const length = Number(headers.get('Content-Length') ?? 0);
      if (!Number.isInteger(length) || length < 0 || length > MAX_FRAME) return this.close();
      if (this.buffer.length < end + 2 + length) return;
      const body = this.buffer.subarray(end + 2, end + 2 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2 + length);
      this.onFrame(headers, body);
      if (this.closed) return;
    }
  }

  private onFrame(headers: Map<string, string>, body: string): void {
    switch (headers.get('Content-Type')) {
      case 'command/reply':
      case 'api/response': {
        const w = this.waiting.shift();
        if (!w) return;
        clearTimeout(w.timer);
        w.resolve({ headers, body });
        return;
      }
      case 'text/event-json': {
        const e = jsonEvent(body);
        if (e) this.emit('event', e);
        return;
      }
      case 'text/disconnect-notice':
        this.emit('disconnect', headers);
        return;
    }
  }
}

/**
 * The listening side of the outbound Event Socket: FreeSWITCH connects once per call. Each connection
 * becomes an OutboundCall handed to `onCall`; beyond `maxCalls` at once a connection is closed at once.
 */
export class OutboundServer {
  private readonly server: net.Server;
  private readonly calls = new Set<OutboundCall>();

  constructor(
    private readonly opts: { host: string; port: number; maxCalls: number; timeoutMs: number },
    private readonly onCall: (call: OutboundCall) => void,
    private readonly log: Logger,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (err) => this.log.error({ err: err.message, host: opts.host, port: opts.port }, 'inbound fax: the outbound event socket listener failed'));
  }

  get port(): number {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : this.opts.port;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const failed = (err: Error) => reject(err);
      this.server.once('error', failed);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', failed);
        resolve();
      });
    });
  }

  private accept(socket: net.Socket): void {
    if (this.calls.size >= this.opts.maxCalls) {
      this.log.warn({ maxCalls: this.opts.maxCalls }, 'inbound fax: too many calls at once; refusing one');
      socket.destroy();
      return;
    }
    const call = new OutboundCall(socket, this.opts.timeoutMs);
    this.calls.add(call);
    call.once('close', () => this.calls.delete(call));
    this.onCall(call);
  }

  async close(): Promise<void> {
    for (const c of this.calls) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
