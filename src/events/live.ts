import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventBus, SpoolEvent } from './bus.js';
import type { Role } from '../core/model.js';

export interface StreamUser {
  id: number;
  role: Role;
}

/**
 * The live event stream over WebSocket. Each connection is authenticated at upgrade and sees only
 * events about work it may see: an admin everything, an agent its users' work, a user its own.
 */
export class LiveStream {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Map<WebSocket, StreamUser>();
  private readonly unsubscribe: () => void;

  constructor(
    bus: EventBus,
    private readonly authenticate: (req: IncomingMessage) => StreamUser | null,
    private readonly agentOf: (userId: number) => number | null,
    private readonly maxBuffered = 4 * 1024 * 1024,
  ) {
    this.unsubscribe = bus.on(
      (e) => this.publish(e),
      () => this.clients.size > 0,
    );
  }

  get size(): number {
    return this.clients.size;
  }

  /** Hand an HTTP upgrade on the stream path to this stream. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const user = this.authenticate(req);
    if (!user) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="switchpost"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.clients.set(ws, user);
      ws.on('close', () => this.clients.delete(ws));
      ws.on('error', () => this.clients.delete(ws));
      ws.send(JSON.stringify({ type: 'hello', at: Date.now(), userId: user.id, role: user.role }));
    });
  }

  private visible(user: StreamUser, e: SpoolEvent): boolean {
    if (user.role === 'admin') return true;
    if (e.userId === null) return false;
    if (e.userId === user.id) return true;
    return user.role === 'agent' && this.agentOf(e.userId) === user.id;
  }

  private publish(e: SpoolEvent): void {
    if (this.clients.size === 0) return;
    let text: string | null = null;
    for (const [ws, user] of this.clients) {
      if (!this.visible(user, e)) continue;
      // A client that cannot keep up is dropped rather than buffered without bound.
      if (ws.bufferedAmount > this.maxBuffered) {
        ws.close(1013, 'too slow');
        continue;
      }
      ws.send((text ??= JSON.stringify(e)));
    }
  }

  close(): void {
    this.unsubscribe();
    for (const ws of this.clients.keys()) ws.close(1001, 'shutting down');
    this.wss.close();
  }
}
