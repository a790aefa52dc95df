import http from 'node:http';
import https from 'node:https';

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Why a request got no answer: the MMSC could not be reached (refused, no route), or it took too long or broke off. */
export class HttpFailure extends Error {
  override name = 'HttpFailure';
  constructor(
    message: string,
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

const MAX_ANSWER = 1024 * 1024;
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** One request on a keep-alive agent (http or https, the agent says which), within a time limit and an answer cap. */
export function request(agent: http.Agent, url: URL, method: 'POST' | 'GET', headers: Record<string, string>, body: Buffer | null, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, { method, agent, headers: body ? { ...headers, 'content-length': String(body.length) } : headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER) return req.destroy(new HttpFailure(`an answer larger than ${MAX_ANSWER} bytes`, false));
        chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', (e) => reject(new HttpFailure(e.message, false)));
    });
    req.on('timeout', () => req.destroy(new HttpFailure(`no answer in ${timeoutMs} ms`, false)));
    req.on('error', (e: Error & { code?: string }) => reject(e instanceof HttpFailure ? e : new HttpFailure(e.message, UNREACHABLE.has(e.code ?? ''))));
    req.end(body ?? undefined);
  });
}
