// The e-mail benchmark's relay, in a process of its own: smtp-server on loopback, no TLS, no AUTH,
// every message read to its end and answered 250 with a queue id. Prints its port; answers 'stats'
// over IPC with the messages and bytes it took and its CPU.
import { SMTPServer } from 'smtp-server';

let messages = 0;
let bytes = 0;
let seq = 0;
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  size: 50 * 1024 * 1024,
  onData(stream, _session, done) {
    stream.on('data', (c) => (bytes += c.length));
    stream.on('end', () => {
      messages++;
      done(null, `Ok: queued as B${(++seq).toString(16).toUpperCase()}`);
    });
  },
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.server.address().port}\n`));
process.on('message', (m) => {
  if (m === 'stats') process.send?.({ messages, bytes, cpu: process.cpuUsage() });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
