import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';
import { callbackReceiver } from '../helpers/receiver.js';
import { signCallback } from '../../dist/events/outbox.js';
import { refusedUrl } from '../../dist/net/safe-http.js';
import { AddressPolicy } from '../../dist/net/address-policy.js';

const SECRET = 'a-callback-secret-of-some-length';
let d: TestDaemon;
let user: { id: number; auth: string };
let rx: Awaited<ReturnType<typeof callbackReceiver>>;

beforeAll(async () => {
  rx = await callbackReceiver({ failFirst: 2 });
  d = await testDaemon({ callbacks: { allow_private: ['127.0.0.1'], backoff_seconds: 0.05, secret: SECRET } });
  user = d.addUser('au/cb', 'user', { timezone: 'Australia/Sydney' });
});
afterAll(async () => {
  await d.close();
  await rx.close();
});

const optedOut = (userId: number, n: string) => d.db.prepare('SELECT 1 FROM opt_outs WHERE user_id = ? AND address = ?').get(userId, n) !== undefined;

describe('callbacks', () => {
  it("posts SMS delivery reports form-encoded with the seed's fields and a valid signature, retried until the receiver takes them", async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: user.auth,
      body: {
        job_type: 'sms',
        job_name: 'Quick Send',
        message: 'hi',
        callback_url: rx.url,
        callback_on_sms_status_update: true,
        recipients: [
          { destination: '+61491570156', reference: 'Customer 123', recipient: 'Jane Smith' },
          { destination: '+61491570001', reference: 'Customer 124', recipient: 'Joe' },
        ],
      },
    });
    const jobId = r.json.data;
    await d.waitFor(() => rx.got.filter((g) => g.form.BroadcastID === String(jobId)).length === 2);
    const byRef = Object.fromEntries(rx.got.map((g) => [g.form.Reference, g]));
    const ok = byRef['Customer 123']!;
    expect(ok.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.keys(ok.form)).toEqual(['BroadcastID', 'Timestamp', 'Reference', 'Recipient', 'Destination', 'Status', 'BroadcastName']);
    expect(ok.form).toMatchObject({ BroadcastID: String(jobId), Reference: 'Customer 123', Recipient: 'Jane Smith', Destination: '61491570156', Status: 'SENT', BroadcastName: 'Quick Send' });
    expect(ok.body).toContain('BroadcastName=Quick+Send');
    expect(ok.form.Timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+1[01]:00$/);
    expect(byRef['Customer 124']!.form.Status).toBe('FAILED');
    const ts = ok.headers['x-switchpost-timestamp'] as string;
    expect(ok.headers['x-switchpost-signature']).toBe(signCallback(SECRET, ts, ok.body));
    // The receiver has the posts; the daemon marks them delivered once it has read the 200.
    const rows = await d.waitFor(() => {
      const r = d.db.prepare('SELECT state, tries FROM callbacks WHERE job_id = ? ORDER BY id').all(jobId) as { state: string; tries: number }[];
      return r.every((x) => x.state === 'delivered') && r;
    });
    expect(rows).toHaveLength(2);
    // The receiver refused the first two posts: they were retried, not lost.
    expect(rows.reduce((n, x) => n + x.tries, 0)).toBe(4);
  });

  it('sends no delivery report unless callback_on_sms_status_update is set', async () => {
    const before = rx.got.length;
    const r = await d.api('POST', '/api/v1/jobs', { auth: user.auth, body: { job_type: 'sms', message: 'hi', callback_url: rx.url, recipients: [{ destination: '+61491570156' }] } });
    await d.waitFor(() => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(r.json.data) as { status: string }).status === 'complete');
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM callbacks WHERE job_id = ?').get(r.json.data) as { n: number }).n).toBe(0);
    expect(rx.got.length).toBe(before);
  });

  it('posts 2-way replies, records an opt-out reply, and skips opted-out numbers later (reported, not dropped)', async () => {
    const r = await d.api('POST', '/api/v1/jobs', {
      auth: user.auth,
      body: {
        job_type: '2 way sms',
        job_name: 'Survey',
        message: 'Reply please',
        optout_code: 'stop',
        callback_url: rx.url,
        recipients: [
          { destination: '+61491570006', reference: 'R1', recipient: 'Ann' },
          { destination: '+61491570007', reference: 'R2', recipient: 'Ben' },
        ],
      },
    });
    const jobId = r.json.data;
    await d.waitFor(() => rx.got.filter((g) => g.form.BroadcastID === String(jobId) && g.form.Response).length === 2);
    const replies = rx.got.filter((g) => g.form.BroadcastID === String(jobId));
    expect(Object.keys(replies[0]!.form)).toEqual(['BroadcastID', 'Timestamp', 'Reference', 'Recipient', 'Destination', 'Response', 'BroadcastName']);
    expect(replies.find((g) => g.form.Reference === 'R1')!.form.Response).toBe('Yes, thanks');
    expect(replies.find((g) => g.form.Reference === 'R2')!.form.Response).toBe('STOP');
    expect(optedOut(user.id, '+61491570007')).toBe(true);
    expect(optedOut(user.id, '+61491570006')).toBe(false);
    const stored = d.db.prepare("SELECT value FROM results WHERE job_id = ? AND kind = 'reply' ORDER BY id").all(jobId) as { value: string }[];
    expect(stored.map((x) => x.value).sort()).toEqual(['STOP', 'Yes, thanks']);

    const again = await d.api('POST', '/api/v1/jobs', { auth: user.auth, body: { job_type: 'sms', message: 'again', recipients: [{ destination: '0491 570 007' }, { destination: '+61491570156' }] } });
    await d.waitFor(() => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(again.json.data) as { status: string }).status === 'complete');
    const { data } = (await d.api('GET', `/api/v1/jobs/${again.json.data}`, { auth: user.auth })).json;
    expect(data.reports.map((x: { status: string }) => x.status)).toEqual(['OPTED OUT', 'SENT']);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM attempts WHERE job_id = ?').get(again.json.data) as { n: number }).n).toBe(1);
  });

  it('refuses at submit, naming the field, a callback URL whose address the policy refuses; nothing is stored', async () => {
    const jobs = () => (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const before = jobs();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ callback_url: 'http://169.254.169.254/latest/meta-data' }, /^Validation failed: callback_url: 169\.254\.169\.254 is a linkLocal address; only public addresses are called$/],
      [{ callback_url: 'http://10.1.2.3:8080/cb' }, /callback_url: 10\.1\.2\.3 is a private address/],
      [{ callback_url: 'http://[::1]/cb' }, /callback_url: ::1 is a loopback address/],
      [{ callback_url: 'http://0.0.0.0/cb' }, /callback_url: 0\.0\.0\.0 is a unspecified address/],
      [{ callback_url: 'http://2130706434/cb' }, /callback_url: 127\.0\.0\.2 is a loopback address/], // 127.0.0.2, written as one number
      [{ callback_url: 'http://[::ffff:169.254.169.254]/cb' }, /callback_url: .*linkLocal/],
      [{ callback_on_sms_status_update: 'http://192.168.0.1/cb' }, /callback_on_sms_status_update: 192\.168\.0\.1 is a private address/],
    ];
    for (const [fields, pattern] of cases) {
      const r = await d.api('POST', '/api/v1/jobs', { auth: user.auth, body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }], ...fields } });
      expect(r.status, JSON.stringify(fields)).toBe(422);
      expect(r.json.errors, JSON.stringify(fields)).toMatch(pattern);
    }
    expect(jobs()).toBe(before);
  });
});

describe('callbacks the policy refuses, and callbacks that fail for good', () => {
  let strict: TestDaemon;
  let short: TestDaemon;
  let good: Awaited<ReturnType<typeof callbackReceiver>>;
  let dead: Awaited<ReturnType<typeof callbackReceiver>>;
  beforeAll(async () => {
    good = await callbackReceiver();
    dead = await callbackReceiver({ failFirst: 1000 });
    // No allow-list: loopback is refused as in production.
    strict = await testDaemon({ callbacks: { allow_private: [] } });
    // Two tries, so a dead receiver fails for good soon.
    short = await testDaemon({ callbacks: { allow_private: ['127.0.0.1'], backoff_seconds: 0.02, max_tries: 2 } });
  });
  afterAll(async () => {
    await strict.close();
    await short.close();
    await good.close();
    await dead.close();
  });

  it('checks a URL as the outbox will: public literals and names that do not resolve (yet) pass, allow-listed ones too', async () => {
    const policy = new AddressPolicy(['10.9.0.0/16', 'intranet.example']);
    expect(await refusedUrl('https://93.184.215.14/cb', policy)).toBeNull();
    expect(await refusedUrl('http://[2606:4700::1111]/cb', policy)).toBeNull();
    expect(await refusedUrl('http://10.9.1.2/cb', policy)).toBeNull();
    expect(await refusedUrl('http://10.8.1.2/cb', policy)).toMatchObject({ name: 'BlockedAddressError', code: 'address', message: '10.8.1.2 is a private address; only public addresses are called' });
    expect(await refusedUrl('http://intranet.example/cb', policy)).toBeNull();
    expect(await refusedUrl('http://no-such-host.invalid/cb', policy)).toBeNull(); // the outbox checks again when it connects
    expect(await refusedUrl('ftp://93.184.215.14/cb', policy)).toMatchObject({ name: 'UrlRefused', code: 'scheme', message: 'only http and https URLs are allowed' });
    expect(await refusedUrl('http://user:pw@93.184.215.14/cb', policy)).toMatchObject({ code: 'credentials' });
    expect(await refusedUrl('http://[::1/cb', policy)).toMatchObject({ code: 'invalid', message: 'not a valid URL' });
  });

  it('resolves a host name at submit and refuses it when it has only refused addresses', async () => {
    const u = strict.addUser('au/strict', 'user');
    const r = await strict.api('POST', '/api/v1/jobs', { auth: u.auth, body: { job_type: 'sms', message: 'x', callback_url: 'http://localhost:8080/cb', recipients: [{ destination: '+61491570156' }] } });
    expect(r.status).toBe(422);
    expect(r.json.errors).toMatch(/^Validation failed: callback_url: localhost resolves only to refused addresses \((127\.0\.0\.1|::1)/);
    expect((strict.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(0);
  });

  it('shows a callback that failed for good in the job report, beside one that arrived', async () => {
    const u = short.addUser('au/reports', 'user');
    const post = (url: string | null) =>
      short.api('POST', '/api/v1/jobs', {
        auth: u.auth,
        body: { job_type: 'sms', message: 'x', ...(url ? { callback_url: url, callback_on_sms_status_update: true } : {}), recipients: [{ destination: '+61491570156' }, { destination: '+61491570157' }] },
      });
    const [ok, bad, plain] = [(await post(good.url)).json.data, (await post(dead.url)).json.data, (await post(null)).json.data];
    const settled = (job: number) => () => (short.db.prepare("SELECT COUNT(*) AS n FROM callbacks WHERE job_id = ? AND state != 'pending'").get(job) as { n: number }).n === 2;
    await short.waitFor(settled(ok));
    await short.waitFor(settled(bad));
    const callbackFields = async (job: number) => ((await short.api('GET', `/api/v1/jobs/${job}`, { auth: u.auth })).json.data.reports as Record<string, unknown>[]).map((x) => [x.callback_status, x.callback_error]);
    expect(await callbackFields(ok)).toEqual([
      ['delivered', null],
      ['delivered', null],
    ]);
    expect(await callbackFields(bad)).toEqual([
      ['failed', 'HTTP 503'],
      ['failed', 'HTTP 503'],
    ]);
    // A job without a callback URL has no callback fields at all.
    await short.waitFor(() => (short.db.prepare('SELECT status FROM jobs WHERE id = ?').get(plain) as { status: string }).status === 'complete');
    const none = (await short.api('GET', `/api/v1/jobs/${plain}`, { auth: u.auth })).json.data;
    expect(none.reports[0]).not.toHaveProperty('callback_status');
  });
});

// A callback host whose DNS never answers, in namespaces of our own: /etc/resolv.conf (bind-mounted)
// names a silent server on the namespace's loopback, with a 4 s resolver timeout.
const ownNamespaces = process.geteuid?.() === 0 && spawnSync('unshare', ['--mount', '--net', 'true']).status === 0 && spawnSync('ip', ['-V']).status === 0;
describe.skipIf(!ownNamespaces)('submit-time callback checks when DNS never answers', () => {
  it('hold no thread-pool thread: file I/O goes on, each check passes after its 2 s, past 16 at once without a lookup; localhost and /etc/hosts names need no DNS', () => {
    const etc = mkdtempSync(join(tmpdir(), 'silent-dns-'));
    try {
      writeFileSync(join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:4 attempts:1\n');
      writeFileSync(join(etc, 'hosts'), '127.0.0.1 localhost\n10.1.2.3 intranet-host # an internal name\n');
      const inner = `ip link set lo up && mount --bind ${etc}/resolv.conf /etc/resolv.conf && mount --bind ${etc}/hosts /etc/hosts && exec ${process.execPath} test/helpers/silent-dns.mjs`;
      const r = spawnSync('unshare', ['--mount', '--net', 'sh', '-c', inner], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.fileMs).toBeLessThan(1000); // getaddrinfo on the pool held it for the resolver's 4 s
      expect(out.answers).toEqual([null]); // unknown passes: the outbox checks the connected address
      expect(out.slowestMs).toBeLessThan(3500);
      expect(out.overCap).toBe(4); // 20 checks, 16 looked up: the other 4 are not resolved at submit at all
      expect(out.queries).toBeGreaterThan(0); // the checks under the cap did ask DNS
      expect(out.localhost).toBe('localhost resolves only to refused addresses (127.0.0.1, ::1); only public addresses are called');
      expect(out.subLocalhost).toMatch(/^api\.localhost resolves only to refused addresses \(127\.0\.0\.1, ::1\)/);
      expect(out.hostsFile).toBe('intranet-host. resolves only to refused addresses (10.1.2.3); only public addresses are called');
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });
});
