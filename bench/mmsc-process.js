// The benchmark's MMSC, in a process of its own: answers every SubmitReq (SubmitRsp 1000) and posts a
// DeliveryReportReq (Retrieved) for it to MMSC_REPORT_TO. Prints its port on stdout, then serves until killed.
import { TestMmsc } from '../test/peers/mmsc.js';

const mmsc = new TestMmsc({ record: false, reportDelayMs: 0, reportTo: process.env.MMSC_REPORT_TO });
const port = await mmsc.listen(Number(process.env.MMSC_PORT ?? 0));
process.stdout.write(`${port}\n`);
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ submits: mmsc.submitCount, reports: mmsc.reportsSent, firstAt: mmsc.firstAt, lastAt: mmsc.lastAt, cpu: process.cpuUsage() });
});
process.on('SIGTERM', () => mmsc.close().then(() => process.exit(0)));
