import { request } from 'node:http';
import WebSocket from 'ws';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

/**
 * An HTTP request sent from a chosen loopback source address (127.0.0.2, …: all of 127/8 is on lo),
 * so a test can play several clients against the per-address login limits.
 */
export function from(address: string, url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers: opts.headers ?? {}, localAddress: address }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: any = null;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A WebSocket upgrade from `address`: the open socket, or the HTTP answer that refused it. */
export function upgradeFrom(address: string, url: string, headers: Record<string, string>): Promise<{ ws: WebSocket } | { status: number; retryAfter: string | undefined; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, localAddress: address });
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, headers: res.headers });
      res.resume();
    });
    ws.on('error', reject);
  });
}
