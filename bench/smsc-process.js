// The benchmark's SMSC, in a process of its own: accepts every submit_sm and sends a DELIVRD receipt
// for it at once. Prints its port on stdout, then serves until killed.
import { TestSmsc } from '../test/peers/smsc.js';

const smsc = new TestSmsc({ record: false, receiptDelayMs: 0 });
const port = await smsc.listen(Number(process.env.SMSC_PORT ?? 0));
process.stdout.write(`${port}\n`);
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ submits: smsc.submitCount ?? 0, receipts: smsc.receiptsSent, cpu: process.cpuUsage() });
});
process.on('SIGTERM', () => smsc.close().then(() => process.exit(0)));
