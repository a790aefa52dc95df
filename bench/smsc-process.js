// The benchmark's SMSC, in a process of its own: accepts every submit_sm and sends a DELIVRD receipt
// for it at once. Prints its port on stdout, then serves until killed. SMSC_RATE=N takes N submit_sm
// a second and throttles the rest (ESME_RTHROTTLED); SMSC_COUNT=1 counts submits per destination.
import { TestSmsc } from '../test/peers/smsc.js';

const rate = Number(process.env.SMSC_RATE ?? 0);
const smsc = new TestSmsc({ record: false, receiptDelayMs: 0, ...(rate > 0 ? { rateLimit: { perSecond: rate } } : {}), countDestinations: process.env.SMSC_COUNT === '1' });
const port = await smsc.listen(Number(process.env.SMSC_PORT ?? 0));
process.stdout.write(`${port}\n`);
process.on('message', (m) => {
  if (m === 'stats') {
    const per = smsc.perDestination ? [...smsc.perDestination.values()] : [];
    process.send?.({
      submits: smsc.submitCount ?? 0,
      receipts: smsc.receiptsSent,
      cpu: process.cpuUsage(),
      throttled: smsc.throttled,
      firstAcceptedAt: smsc.firstAcceptedAt,
      lastAcceptedAt: smsc.lastAcceptedAt,
      boundAt: smsc.binds.find((b) => b.status === 0)?.at ?? 0,
      destinations: per.length,
      sentTwice: per.filter((n) => n > 1).length,
      extraCopies: per.reduce((a, n) => a + n - 1, 0),
      maxPerDestination: Math.max(0, ...per),
    });
  }
});
process.on('SIGTERM', () => smsc.close().then(() => process.exit(0)));
