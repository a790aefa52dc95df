// A real Kannel (Debian's bearerbox + smsbox) for tests: its SMPP side bound to a test SMSC, its
// sendsms HTTP interface on loopback, and an sms-service that forwards MO messages to a URL.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasKannel = () => spawnSync('bearerbox', ['--version']).status !== null && existsSync('/usr/sbin/smsbox');

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Options: smscPort (the SMPP server bearerbox binds to), moUrl (sms-service get-url, with Kannel's
 * escapes), username/password for sendsms.
 */
export async function startKannel({ smscPort, moUrl, username = 'switchpost', password = 'kannel-secret' }) {
  const dir = mkdtempSync(join(tmpdir(), 'kannel-'));
  const [adminPort, smsboxPort, sendsmsPort] = [await freePort(), await freePort(), await freePort()];
  const conf = `
group = core
admin-port = ${adminPort}
admin-password = admin
admin-interface = 127.0.0.1
smsbox-port = ${smsboxPort}
smsbox-interface = 127.0.0.1
box-allow-ip = "127.0.0.1"
log-file = "${dir}/bearerbox.log"
log-level = 1
access-log = "${dir}/access.log"
dlr-storage = internal
sms-combine-concatenated-mo = true
store-type = spool
store-location = "${dir}/store"

group = smsc
smsc = smpp
smsc-id = testsmsc
host = 127.0.0.1
port = ${smscPort}
transceiver-mode = true
smsc-username = kannel
smsc-password = kannel
system-type = ""
enquire-link-interval = 30
reconnect-delay = 1
msg-id-type = 0x01
max-pending-submits = 50

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${smsboxPort}
sendsms-port = ${sendsmsPort}
sendsms-interface = 127.0.0.1
log-file = "${dir}/smsbox.log"
log-level = 1
mo-recode = false

group = sendsms-user
username = ${username}
password = ${password}
# switchpost cuts long messages into parts itself (with its own UDH): one message per request.
max-messages = 1
concatenation = false

group = sms-service
keyword = default
catch-all = true
get-url = "${moUrl}"
max-messages = 0
omit-empty = true
concatenation = true
`;
  mkdirSync(join(dir, 'store'));
  const file = join(dir, 'kannel.conf');
  writeFileSync(file, conf);
  const procs = [spawn('bearerbox', [file], { stdio: 'ignore' })];
  await new Promise((r) => setTimeout(r, 300));
  procs.push(spawn('smsbox', [file], { stdio: 'ignore' }));
  const sendsmsUrl = `http://127.0.0.1:${sendsmsPort}/cgi-bin/sendsms`;
  const until = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`${sendsmsUrl}?username=x&password=y`);
      if (r.status) break;
    } catch {}
    if (Date.now() > until) throw new Error(`kannel did not start; see ${dir}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dir,
    sendsmsUrl,
    sendsmsPort,
    username,
    password,
    log: () => ['bearerbox.log', 'smsbox.log', 'access.log'].map((f) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '')).join('\n'),
    async stop() {
      for (const p of procs.reverse()) p.kill('SIGTERM');
      await Promise.all(
        procs.map((p) =>
          p.exitCode !== null
            ? null
            : new Promise((r) => {
                const t = setTimeout(() => {
                  p.kill('SIGKILL');
                  r();
                }, 3000);
                p.once('exit', () => {
                  clearTimeout(t);
                  r();
                });
              }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
