// The calls benchmark's FreeSWITCH stand-in, in a process of its own: answers every call, plays each
// file for PLAY_MS, and reports its counts over IPC. Prints its port on stdout.
import { EslPeer } from '../test/peers/esl.js';

const playMs = Number(process.env.PLAY_MS ?? 3000);
const peer = new EslPeer({ password: process.env.ESL_PASSWORD ?? 'bench-esl-secret', script: () => ({ answer: true, answerMs: 20, playMs }) });
const port = await peer.listen();
let peak = 0;
setInterval(() => (peak = Math.max(peak, peer.channels.size)), 20).unref();
process.stdout.write(`${port}\n`);
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ originates: peer.originated ?? 0, live: peer.channels.size, peak, cpu: process.cpuUsage() });
});
// Keep memory flat over thousands of calls: the bench only needs counts.
setInterval(() => {
  if (peer.originates.length > 100) peer.originates.splice(0, peer.originates.length - 100);
  peer.commands.length = 0;
  peer.executed.length = 0;
  peer.ended.length = 0;
}, 1000).unref();
process.on('SIGTERM', () => peer.close().then(() => process.exit(0)));
