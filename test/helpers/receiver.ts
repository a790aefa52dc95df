import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  form: Record<string, string>;
}

/** A real HTTP server on 127.0.0.1 that records callbacks; `failFirst` answers 503 to the first N. */
export async function callbackReceiver(opts: { failFirst?: number } = {}) {
  const got: Received[] = [];
  let failures = opts.failFirst ?? 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failures > 0) {
        failures--;
        res.writeHead(503).end();
        return;
      }
      got.push({ headers: req.headers, body, form: Object.fromEntries(new URLSearchParams(body)) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { got, url: `http://127.0.0.1:${port}/cb`, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
