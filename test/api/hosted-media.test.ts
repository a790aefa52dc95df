// Hosted media on the daemon's own port (issue 20): the real daemon on 127.0.0.1, its files in its
// data directory, fetched and answered as a handset does.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { checkHostedToken, hostedKey, hostedUrl, signHostedToken } from '../../dist/core/mms/hosted-token.js';
import { encodeRetrieveConf } from '../../dist/core/mms/retrieve-conf.js';
import { field, tshark } from '../helpers/tshark.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

type Event = { type: string; [k: string]: unknown };
async function daemon() {
  d = await testDaemon({ sandbox: { enabled: false } });
  const events: Event[] = [];
  d.hosted.listen({ fetched: (e) => events.push({ type: 'fetched', ...e }), answered: (e) => events.push({ type: 'answered', ...e }) });
  return { d, events };
}

const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
const MMS = 'application/vnd.wap.mms-message';
const notifyResp = (tid: string, status = 0x81) => Buffer.concat([Buffer.from([0x8c, 0x83, 0x98]), Buffer.from(tid + '\0'), Buffer.from([0x8d, 0x92, 0x95, status])]);
const acknowledge = (tid: string) => Buffer.concat([Buffer.from([0x8c, 0x85, 0x98]), Buffer.from(tid + '\0'), Buffer.from([0x8d, 0x92])]);

describe('hosted-media tokens', () => {
  const key = hostedKey(Buffer.alloc(32, 7));
  it('checks its MAC before its expiry, so a forged token never learns it would have expired', () => {
    const t = signHostedToken({ kind: 'mms', ref: 'a42', expiresAt: new Date(2_000_000_000_000) }, key);
    expect(checkHostedToken(t, key, 1_000_000_000_000)).toEqual({ ok: true, claims: { kind: 'mms', ref: 'a42', expiresAt: new Date(2_000_000_000_000) } });
    expect(checkHostedToken(t, key, 2_000_000_000_000)).toEqual({ ok: false, reason: 'expired' });
    const [kind, ref, exp, mac] = t.split('.');
    for (const forged of [`f.${ref}.${exp}.${mac}`, `${kind}.a43.${exp}.${mac}`, `${kind}.${ref}.zzzzzz.${mac}`, `${kind}.${ref}.${exp}.${mac!.slice(0, -1)}${mac!.endsWith('A') ? 'B' : 'A'}`, '', t + '.x'])
      expect(checkHostedToken(forged, key, 2_000_000_000_000), forged).toEqual({ ok: false, reason: 'forged' });
    expect(checkHostedToken(t, hostedKey(Buffer.alloc(32, 8)), 0)).toEqual({ ok: false, reason: 'forged' });
  });
});

describe('hosted media on the daemon port', () => {
  it('serves an M-Retrieve.conf and a raw file with their types and lengths until expiry, then 410', async () => {
    const { d, events } = await daemon();
    const conf = encodeRetrieveConf({ messageId: 'm1', date: new Date('2027-01-15T08:00:00Z'), text: 'Hello', media: [{ contentType: 'image/jpeg', bytes: jpeg, name: 'p.jpg' }] });
    d.hosted.files.put('mms', 'a1', { contentType: MMS, bytes: conf });
    d.hosted.files.put('file', 'j1', { contentType: 'image/jpeg', bytes: jpeg });
    const expiresAt = new Date(Date.now() + 2500);
    const mms = hostedUrl(d.url, signHostedToken({ kind: 'mms', ref: 'a1', expiresAt }, d.hosted.key));
    const file = hostedUrl(d.url, signHostedToken({ kind: 'file', ref: 'j1', expiresAt }, d.hosted.key));

    const r1 = await fetch(mms);
    const body1 = Buffer.from(await r1.arrayBuffer());
    expect([r1.status, r1.headers.get('content-type'), r1.headers.get('content-length')]).toEqual([200, MMS, String(conf.length)]);
    expect(body1.equals(conf)).toBe(true);
    // What came off the wire is a message tshark reads, with its parts.
    const [p] = tshark([{ srcPort: 9200, dstPort: 40000, payload: Buffer.concat([Buffer.from([1, 0x04, 0x20, 1, 0xbe]), body1]) }]);
    expect(field(p!.mmse, 'mmse.message_type')).toBe('0x84');
    const r2 = await fetch(file);
    const body2 = Buffer.from(await r2.arrayBuffer());
    expect([r2.status, r2.headers.get('content-type'), r2.headers.get('content-length'), r2.headers.get('cache-control')]).toEqual([200, 'image/jpeg', String(jpeg.length), 'no-store']);
    expect(body2.equals(jpeg)).toBe(true);
    await d.waitFor(() => events.length >= 2);
    expect(events).toEqual([
      { type: 'fetched', kind: 'mms', ref: 'a1', at: expect.any(Number), bytes: conf.length },
      { type: 'fetched', kind: 'file', ref: 'j1', at: expect.any(Number), bytes: jpeg.length },
    ]);

    await new Promise((r) => setTimeout(r, Math.ceil(expiresAt.getTime() / 1000) * 1000 - Date.now() + 50));
    for (const url of [mms, file]) {
      const r = await fetch(url);
      expect([r.status, await r.text()]).toEqual([410, 'gone']);
    }
    expect(events).toHaveLength(2);
  });

  it('answers a forged, altered or unknown token, or one that tries a path, with the same bare 404', async () => {
    const { d, events } = await daemon();
    d.hosted.files.put('file', 'j1', { contentType: 'image/jpeg', bytes: jpeg });
    const expiresAt = new Date(Date.now() + 60_000);
    const good = signHostedToken({ kind: 'file', ref: 'j1', expiresAt }, d.hosted.key);
    const [, ref, exp, mac] = good.split('.');
    const tries = [
      `m.${ref}.${exp}.${mac}`, // the other kind
      `f.j2.${exp}.${mac}`, // another ref
      `f.${ref}.${exp}.${'A'.repeat(22)}`, // a guessed MAC
      signHostedToken({ kind: 'file', ref: 'j1', expiresAt }, Buffer.alloc(32)), // another key
      signHostedToken({ kind: 'file', ref: 'nothere', expiresAt }, d.hosted.key), // signed, but nothing stored
      '..%2F..%2Fhosted-media.key',
      `f.${encodeURIComponent('../../hosted-media')}.${exp}.${mac}`,
      'x',
    ];
    for (const t of tries) {
      const r = await fetch(`${d.url}/m/${t}`);
      expect([r.status, r.headers.get('content-type'), await r.text()], t).toEqual([404, 'text/plain', 'not found']);
    }
    expect(events).toEqual([]);
    expect((await fetch(hostedUrl(d.url, good))).status).toBe(200);
    // HEAD answers as GET does, but is not a fetch.
    const head = await fetch(hostedUrl(d.url, good), { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(jpeg.length)]);
    await d.waitFor(() => events.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(events).toHaveLength(1);
  });

  it('answers a file it cannot read with 503 and no path', async () => {
    const { d } = await daemon();
    const dir = join(d.dir, 'media', 'hosted', 'file');
    mkdirSync(join(dir, 'broken'), { recursive: true }); // a directory where the file should be
    writeFileSync(join(dir, 'broken.type'), 'image/jpeg');
    const r = await fetch(hostedUrl(d.url, signHostedToken({ kind: 'file', ref: 'broken', expiresAt: new Date(Date.now() + 60_000) }, d.hosted.key)));
    const text = await r.text();
    expect([r.status, text, r.headers.get('retry-after')]).toEqual([503, 'unavailable', '60']);
  });

  it("reports the handset's M-NotifyResp.ind and M-Acknowledge.ind, at the Content-Location or the MMSC URL", async () => {
    const { d, events } = await daemon();
    const expiresAt = new Date(Date.now() + 60_000);
    const token = signHostedToken({ kind: 'mms', ref: 'a7', expiresAt }, d.hosted.key);
    const post = (path: string, body: Buffer, type = MMS) => fetch(d.url + path, { method: 'POST', headers: { 'content-type': type }, body });

    const r1 = await post(`/m/${token}`, notifyResp('anything', 0x81));
    expect([r1.status, await r1.text()]).toEqual([200, '']);
    // At the MMSC URL the Transaction-Id is the token the notification carried.
    const r2 = await post('/mms', notifyResp(token, 0x83));
    expect(r2.status).toBe(200);
    const r3 = await post('/mms', acknowledge(token));
    expect(r3.status).toBe(200);
    expect(events).toEqual([
      { type: 'answered', ref: 'a7', at: expect.any(Number), response: { type: 'notifyresp', transactionId: 'anything', status: 'retrieved', version: '1.2' } },
      { type: 'answered', ref: 'a7', at: expect.any(Number), response: { type: 'notifyresp', transactionId: token, status: 'deferred', version: '1.2' } },
      { type: 'answered', ref: 'a7', at: expect.any(Number), response: { type: 'acknowledge', transactionId: token, version: '1.2' } },
    ]);

    // Not signed by us, not an MMS PDU, not the MMS type: refused, and nothing reported.
    expect((await post('/mms', notifyResp('a7'))).status).toBe(404);
    expect((await post('/mms', Buffer.from('8c82', 'hex'))).status).toBe(400);
    expect((await post(`/m/${token}`, Buffer.from('hello'), 'text/plain')).status).toBe(415);
    expect((await post(`/m/${token}x`, notifyResp('t'))).status).toBe(404);
    expect(events).toHaveLength(3);
  });
});
