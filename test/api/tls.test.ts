import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import { testDaemon } from '../helpers/daemon.js';

describe('TLS', () => {
  it('serves HTTPS when a certificate and key are configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchpost-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { encoding: 'utf8' });
    expect(gen.status).toBe(0);
    const d = await testDaemon({ http: { port: 0, tls: { cert_file: cert, key_file: key } } });
    try {
      expect(d.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const u = d.addUser('tls', 'user');
      const res = await new Promise<{ status: number; body: string; cert: string }>((resolve, reject) => {
        const req = https.request(`${d.url}/api/v1/jobs`, { headers: { authorization: u.auth }, rejectUnauthorized: false }, (r) => {
          const cert = (r.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN;
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode!, body, cert }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ current_page: 1, total: 0, status: 200 });
      expect(res.cert).toBe('127.0.0.1');
    } finally {
      await d.close();
    }
  });
});
