import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventBus, SpoolEvent } from './bus.js';
import type { Role } from '../core/model.js';

export interface StreamUser {
  id: number;
  role: Role;
  /** The user's credentials version at upgrade (see `credentialsOf`). */
  credentials: string;
}

/** What an upgrade's credentials come to; `limited` is answered 429 with Retry-After before upgrading. */
export type StreamLogin = { kind: 'ok'; user: StreamUser } | { kind: 'refused' } | { kind: 'limited'; retryAfterS: number };

/** The close code of a stream whose user changed password or was disabled (4000-4999: the application's; 401's echo). */
export const CREDENTIALS_CHANGED = 4401;

/**
 * The live event stream over WebSocket. Each connection is authenticated at upgrade and sees only
 * events about work it may see: an admin everything, an agent its users' work, a user its own.
 */
export class LiveStream {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Map<WebSocket, StreamUser>();
  private readonly agents = new Map<number, { agent: number | null; until: number }>();
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;
  private rechecking = false;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;

  /**
   * `credentialsOf` reads a user's credentials version now (null: gone or disabled). Open streams are
   * checked against it every `recheckMs` and at `recheck()`, so a password changed by another process
   * (the CLI) ends them within that time.
   */
  constructor(
    private readonly bus: EventBus,
    private readonly authenticate: (req: IncomingMessage) => Promise<StreamLogin>,
    private readonly agentOf: (userId: number) => Promise<number | null>,
    private readonly credentialsOf: (userId: number) => Promise<string | null>,
    private readonly maxBuffered = 4 * 1024 * 1024,
    recheckMs = 1000,
  ) {
    this.unsubscribe = bus.on(
      (e) => this.publish(e),
      () => this.clients.size > 0,
    );
    this.timer = setInterval(() => void this.recheck(), recheckMs).unref();
  }

  /** Close the streams whose user's credentials changed since they opened. One read per user. */
  async recheck(): Promise<void> {
    if (this.clients.size === 0 || this.rechecking) return;
    this.rechecking = true;
    try {
      const now = new Map<number, string | null>();
      for (const user of [...this.clients.values()]) if (!now.has(user.id)) now.set(user.id, await this.credentialsOf(user.id));
      for (const [ws, user] of this.clients) {
        if (!now.has(user.id) || now.get(user.id) === user.credentials) continue;
        this.clients.delete(ws);
        ws.close(CREDENTIALS_CHANGED, 'credentials changed');
      }
    } catch {
      // The store could not answer now: the next recheck asks again.
    } finally {
      this.rechecking = false;
    }
  }

  get size(): number {
    return this.clients.size;
  }

  /** Hand an HTTP upgrade on the stream path to this stream. */
  async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // The client may go away while its password is checked.
    socket.on('error', () => socket.destroy());
    const login = await this.authenticate(req).catch(() => null);
    if (socket.destroyed) return;
    if (!login) return void socket.destroy();
    if (login.kind === 'limited') {
      socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${login.retryAfterS}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    if (login.kind !== 'ok') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="switchpost"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    const user = login.user;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.clients.set(ws, user);
      // The spool engine builds the events someone wants: from this client's first one on.
      if (this.clients.size === 1) this.bus.interestChanged();
      ws.on('close', () => this.drop(ws));
      ws.on('error', () => this.drop(ws));
      ws.send(JSON.stringify({ type: 'hello', at: Date.now(), userId: user.id, role: user.role }));
    });
  }

  private drop(ws: WebSocket): void {
    if (this.clients.delete(ws) && this.clients.size === 0) this.bus.interestChanged();
  }

  private visible(user: StreamUser, e: SpoolEvent, agent: number | null): boolean {
    if (user.role === 'admin') return true;
    if (e.userId === null) return false;
    if (e.userId === user.id) return true;
    return user.role === 'agent' && agent === user.id;
  }

  /** An agent sees its users' events: whose agent the event's user is, read from the store (kept for a second). */
  private knownAgent(userId: number | null): number | null | undefined {
    if (userId === null) return null;
    const hit = this.agents.get(userId);
    return hit && hit.until > Date.now() ? hit.agent : undefined;
  }

  private hasAgentClient(): boolean {
    for (const user of this.clients.values()) if (user.role === 'agent') return true;
    return false;
  }

  /**
   * Events go out in the order they came: one whose user's agent must be read first waits for it, and
   * every later event waits behind it.
   */
  private publish(e: SpoolEvent): void {
    if (this.clients.size === 0) return;
    const known = this.hasAgentClient() ? this.knownAgent(e.userId) : null;
    if (this.waiting === 0 && known !== undefined) return this.deliver(e, known);
    this.waiting++;
    this.chain = this.chain
      .then(async () => {
        let agent = this.knownAgent(e.userId);
        if (agent === undefined && e.userId !== null) {
          agent = await this.agentOf(e.userId).catch(() => null);
          if (this.agents.size > 10_000) this.agents.clear();
          this.agents.set(e.userId, { agent, until: Date.now() + 1000 });
        }
        this.deliver(e, agent ?? null);
      })
      .finally(() => this.waiting--);
  }

  private deliver(e: SpoolEvent, agent: number | null): void {
    let text: string | null = null;
    for (const [ws, user] of this.clients) {
      if (!this.visible(user, e, agent)) continue;
      // A client that cannot keep up is dropped rather than buffered without bound.
      if (ws.bufferedAmount > this.maxBuffered) {
        ws.close(1013, 'too slow');
        continue;
      }
      ws.send((text ??= JSON.stringify(e)));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    for (const ws of this.clients.keys()) ws.close(1001, 'shutting down');
    this.wss.close();
  }
}
