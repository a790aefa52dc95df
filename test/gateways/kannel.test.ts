import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { TestSmsc } from '../peers/smsc.js';
import { hasKannel, startKannel } from '../peers/kannel.js';
import { planSms } from '../../dist/core/sms.js';

// A real Kannel 1.4 (Debian's bearerbox + smsbox) between the daemon and a test SMSC.
const MO_SECRET = 'mo-secret-0123456789';
let d: TestDaemon;
let smsc: TestSmsc;
let kannel: Awaited<ReturnType<typeof startKannel>>;
let auth: string;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

const complete = (job: number) => () => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(job) as { status: string }).status === 'complete';
const rows = (job: number) => d.db.prepare('SELECT id, state, reason, parts, attempt_id FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { id: number; state: string; reason: string | null; parts: number; attempt_id: number }[];
const post = async (body: Record<string, unknown>) => {
  const r = await d.api('POST', '/api/v1/jobs', { auth, body: { job_type: 'sms', ...body } });
  expect(r.status).toBe(200);
  return r.json.data as number;
};

describe.skipIf(!hasKannel())('Kannel driver through a real bearerbox and smsbox', () => {
  beforeAll(async () => {
    const script = (sub: { destination_addr: string }) =>
      sub.destination_addr.endsWith('157') ? { receipt: { stat: 'UNDELIV', err: '001', delayMs: 20 } } : sub.destination_addr.endsWith('158') ? { receipt: { stat: 'EXPIRED', err: '003', delayMs: 20 } } : {};
    smsc = new TestSmsc({ script, receiptDelayMs: 20 });
    const smscPort = await smsc.listen();
    const httpPort = await freePort();
    const base = `http://127.0.0.1:${httpPort}/gateways/kannel/kannel`;
    kannel = await startKannel({ smscPort, moUrl: `${base}/mo?secret=${MO_SECRET}&from=%p&to=%P&text=%b&charset=%C` });
    d = await testDaemon({
      http: { port: httpPort },
      sandbox: { enabled: false },
      providers: [
        {
          name: 'kannel',
          driver: 'kannel',
          services: ['sms'],
          host: '127.0.0.1',
          port: kannel.sendsmsPort,
          username: kannel.username,
          password: kannel.password,
          settings: { mo_secret: MO_SECRET, probe_ms: 200, timeout_ms: 5000, default_sender: 'Switchpost' },
        },
      ],
    });
    auth = d.addUser('u', 'user').auth;
    await d.waitFor(() => smsc.bound > 0, 15_000);
  }, 40_000);

  afterAll(async () => {
    await d?.close();
    await kannel?.stop();
    await smsc?.close();
  });

  it('sends GSM text that reaches the SMSC as the right septets and is delivered by DLR', async () => {
    const job = await post({ message: 'Hi {} €5 @home', manual_sender_id: 'Acme', recipients: [{ destination: '+61491570156' }] });
    await d.waitFor(complete(job), 20_000);
    const s = smsc.submits.find((x) => x.destination_addr === '61491570156')!;
    expect(s).toMatchObject({ source_addr_ton: 5, source_addr: 'Acme', dest_addr_ton: 1, destination_addr: '61491570156', data_coding: 0 });
    expect(s.short_message.toString('hex')).toBe(planSms('Hi {} €5 @home').parts[0]!.toString('hex'));
    expect(rows(job)[0]).toMatchObject({ state: 'delivered', parts: 1 });
  });

  it('sends a long UCS-2 message in parts with its own UDH, and tracks each part', async () => {
    const text = 'Привет! '.repeat(12) + 'end';
    const job = await post({ message: text, recipients: [{ destination: '+61491570159' }] });
    await d.waitFor(complete(job), 20_000);
    // Kannel queues each part's sendsms on its own, so the SMSC may get them in either order (as a
    // handset does, which reassembles by the UDH): check them in part order.
    const parts = smsc.submits.filter((x) => x.destination_addr === '61491570159').sort((a, b) => a.short_message[5]! - b.short_message[5]!);
    expect(parts).toHaveLength(2);
    for (const [i, p] of parts.entries()) {
      expect(p.esm_class & 0x40).toBe(0x40);
      expect(p.data_coding & 0x0c).toBe(0x08); // UCS-2
      expect([...p.short_message.subarray(0, 3), p.short_message[4], p.short_message[5]]).toEqual([5, 0, 3, 2, i + 1]);
    }
    expect(
      Buffer.concat(parts.map((p) => p.short_message.subarray(6)))
        .swap16()
        .toString('utf16le'),
    ).toBe(text);
    const [r] = rows(job);
    expect(r).toMatchObject({ state: 'delivered', parts: 2 });
    expect(d.db.prepare('SELECT status FROM attempt_parts WHERE attempt_id = ? ORDER BY part').all(r!.attempt_id)).toEqual([{ status: 'delivered' }, { status: 'delivered' }]);
  });

  it('maps failed DLRs, refined by the SMSC receipt text', async () => {
    const job = await post({ message: 'x', recipients: [{ destination: '+61491570157' }, { destination: '+61491570158' }] });
    await d.waitFor(complete(job), 20_000);
    expect(rows(job).map((r) => [r.state, r.reason])).toEqual([
      ['undeliverable', expect.anything()],
      ['expired', expect.anything()],
    ]);
  });

  it('routes an MO that answers no job to the owner of the number it was sent to (issue 17), for that owner alone', async () => {
    const owner = d.addUser('kannel-owner', 'user');
    const other = d.addUser('kannel-other', 'user');
    d.db.prepare('INSERT INTO numbers (number, user_id, created_at) VALUES (?, ?, ?)').run('+61412000201', owner.id, Date.now());
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570163', dest_addr_ton: 1, destination_addr: '61412000201', data_coding: 0, short_message: planSms('Hi owner').parts[0] });
    const inbound = async (a: string) => (await d.api('GET', '/transmissions?direction=inbound', { auth: a })).json as { phone: string; message: string; direction: string }[];
    let mine: { phone: string; message: string; direction: string }[] = [];
    for (let i = 0; i < 500 && mine.length === 0; i++) {
      mine = await inbound(owner.auth);
      if (mine.length === 0) await new Promise((r) => setTimeout(r, 40));
    }
    expect(mine).toEqual([expect.objectContaining({ phone: '+61491570163', message: 'Hi owner', direction: 'inbound' })]);
    expect(await inbound(other.auth)).toEqual([]);
    expect(await inbound(auth)).toEqual([]);
  });

  it('takes MO messages from the sms-service, GSM and UCS-2, and refuses callers without the secret or token', async () => {
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570160', destination_addr: '5551', data_coding: 0, short_message: planSms('Yes € please').parts[0] });
    smsc.deliver({ source_addr_ton: 1, source_addr: '61491570161', destination_addr: '5551', data_coding: 8, short_message: Buffer.from('Да, спасибо', 'utf16le').swap16() });
    const inbound = await d.waitFor(() => {
      const r = d.db.prepare(`SELECT sender, receiver, body FROM inbound WHERE sender IN ('+61491570160', '+61491570161') ORDER BY sender`).all();
      return r.length === 2 && r;
    }, 20_000);
    expect(inbound).toEqual([
      { sender: '+61491570160', receiver: '5551', body: 'Yes € please' },
      { sender: '+61491570161', receiver: '5551', body: 'Да, спасибо' },
    ]);
    const forged = await fetch(`${d.url}/gateways/kannel/kannel/mo?secret=wrong-secret-0123456&from=%2B61491570162&text=hi`);
    expect(forged.status).toBe(403);
    const guessed = await fetch(`${d.url}/gateways/kannel/kannel/dlr?t=nothex&s=1&a=`);
    expect(guessed.status).toBe(400);
    expect(d.db.prepare(`SELECT COUNT(*) AS n FROM inbound WHERE sender = '+61491570162'`).get()).toEqual({ n: 0 });
  });
});
