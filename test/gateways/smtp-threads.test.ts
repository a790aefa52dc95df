import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { TestSmtp } from '../peers/smtp.js';
import { SmtpGateway } from '../../dist/gateways/smtp/smtp-gateway.js';
import { smtpSettingsSchema } from '../../dist/gateways/smtp/settings.js';
import type { Delivery, GatewayReport } from '../../dist/gateways/gateway.js';

// The smtp driver's threads (smtp-thread.ts), driven directly: the gateway on this thread hands each
// message to an SMTP thread and turns its answer into the attempt's outcome.
let smtp: TestSmtp | null = null;
let gw: SmtpGateway | null = null;
afterEach(async () => {
  await gw?.stop();
  await smtp?.close();
  gw = null;
  smtp = null;
});

function gateway(port: number, settings: Record<string, unknown>) {
  const reports: GatewayReport[] = [];
  const health: boolean[] = [];
  const sink = { report: (r: GatewayReport) => reports.push(r), inbound: () => {}, health: (_p: number, up: boolean) => health.push(up) };
  const s = smtpSettingsSchema.parse({ security: 'none', probe_ms: 200, timeout_ms: 3000, ...settings });
  const g = new SmtpGateway(1, { name: 'relay', host: '127.0.0.1', port, username: null, password: null }, s, null, null, sink, pino({ level: 'silent' }));
  return { g, reports, health };
}

const email = (i: number): Delivery => ({
  kind: 'email',
  attemptId: 100 + i,
  recipientId: i,
  jobId: 1,
  channel: 'email',
  destination: `r${i}@example.org`,
  sender: null,
  email: { from: { address: 'news@example.com', name: 'News' }, subject: `Hello ${i}`, text: `Hi ${i}`, html: null, attachments: [], invite: null },
});

async function until<T>(f: () => T | null | undefined | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('smtp driver threads', () => {
  it("shares max_connections between its threads and reports each message's answer once, with the relay's queue id", async () => {
    smtp = new TestSmtp({ users: {}, holdMs: 40 });
    const port = await smtp.listen();
    const t = gateway(port, { threads: 2, max_connections: 3, max_messages: 100 });
    gw = t.g;
    await gw.start();
    expect(gw.isUp()).toBe(true);
    expect(t.health).toEqual([true]);
    // Room is four per connection: all twelve are handed over at once.
    expect(gw.room()).toBe(12);
    for (let i = 0; i < 12; i++) gw.send(email(i));
    expect(gw.room()).toBe(0);
    await until(() => t.reports.length === 12);
    expect(gw.room()).toBe(12);
    const byAttempt = new Map(t.reports.map((r) => ['attemptId' in r ? r.attemptId : 0, r.outcome]));
    expect(byAttempt.size).toBe(12);
    for (let i = 0; i < 12; i++) {
      const m = smtp.messages.find((x) => x.rcptTo.includes(`r${i}@example.org`));
      expect(m, `r${i}`).toBeDefined();
      expect(byAttempt.get(100 + i)).toEqual({ kind: 'accepted', peerId: m!.queueId, awaitReceipt: false });
    }
    expect(smtp.messages).toHaveLength(12);
    // Two threads, two connections and one: never more than three open at once, and more than one used.
    expect(smtp.maxOpen).toBeLessThanOrEqual(3);
    expect(smtp.maxOpen).toBeGreaterThan(1);
  }, 30_000);

  it('a drain gives back as held what waits in the threads, before it resolves; what is on the wire still gets its answer', async () => {
    smtp = new TestSmtp({ users: {}, holdMs: 400 });
    const port = await smtp.listen();
    const t = gateway(port, { threads: 1, max_connections: 1 });
    gw = t.g;
    await gw.start();
    for (let i = 0; i < 4; i++) gw.send(email(i));
    // The first is on the wire (the relay holds its answer 400 ms); three wait behind it.
    await until(() => smtp!.offers.length === 1);
    await gw.drain();
    const held = t.reports.filter((r) => r.outcome.kind === 'held');
    expect(held.map((r) => ('attemptId' in r ? r.attemptId : 0)).sort()).toEqual([101, 102, 103]);
    await until(() => t.reports.length === 4);
    expect(t.reports.find((r) => 'attemptId' in r && r.attemptId === 100)?.outcome.kind).toBe('accepted');
    expect(smtp.messages).toHaveLength(1);
  }, 30_000);

  it('a relay that goes away holds the work and marks the provider down; once it is back the next message goes', async () => {
    smtp = new TestSmtp({ users: {} });
    const port = await smtp.listen();
    const t = gateway(port, { threads: 2, max_connections: 2 });
    gw = t.g;
    await gw.start();
    await smtp.close();
    gw.send(email(1));
    await until(() => t.reports.length === 1);
    expect(t.reports[0]!.outcome.kind).toBe('held');
    expect(t.health).toEqual([true, false]);
    expect(gw.isUp()).toBe(false);
    // Down: nothing is handed to a thread.
    gw.send(email(2));
    expect(t.reports[1]!.outcome).toMatchObject({ kind: 'held', reason: 'the SMTP relay is not reachable' });
    await smtp.listen(port);
    await until(() => gw!.isUp());
    expect(t.health).toEqual([true, false, true]);
    gw.send(email(3));
    await until(() => t.reports.length === 3);
    expect(t.reports[2]!.outcome.kind).toBe('accepted');
    expect(smtp.messages.map((m) => m.rcptTo[0])).toEqual(['r3@example.org']);
  }, 30_000);
});
