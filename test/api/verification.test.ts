import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

/** The code in the job's text, read while the message is still out (the sandbox's "008" never gets a receipt). */
const sentCode = (dd: TestDaemon, ref: string): string => {
  const row = dd.db.prepare(`SELECT content FROM jobs WHERE json_extract(options, '$.client_ref') = ? ORDER BY id DESC LIMIT 1`).get(ref) as { content: string };
  return /(\d{6})/.exec(JSON.parse(row.content).text.texts[0])![1]!;
};

describe('v1 client verification (2FA)', () => {
  it("sends a code by SMS (seed's GET and POST forms) and validates it once", async () => {
    d = await testDaemon();
    const u = d.addUser('app', 'user');
    const get = await d.api('GET', '/api/v1/client_verification/sendCode?client_ref=user-123&message_type=sms&message_destination=61491570008&message_template=Your+test+copany+auth+no.+is+[[code]]', { auth: u.auth });
    expect(get.json).toEqual({ status: 200, data: 'message sent' });
    const job = d.db.prepare(`SELECT id, name, content FROM jobs`).get() as { id: number; content: string };
    expect(JSON.parse(job.content).text.texts[0]).toMatch(/^Your test copany auth no\. is \d{6}$/);
    await d.waitFor(() => (d!.db.prepare('SELECT state FROM recipients WHERE job_id = ?').get(job.id) as { state: string }).state === 'submitted');
    expect(d.db.prepare('SELECT destination, address FROM recipients WHERE job_id = ?').get(job.id)).toEqual({ destination: '+61491570008', address: '+61491570008' });
    const code = sentCode(d, 'user-123');
    const stored = d.db.prepare('SELECT code_hash FROM verification_codes').get() as { code_hash: string };
    expect(stored.code_hash).not.toContain(code);
    const validate = (entered: string, extra: Record<string, unknown> = {}) => d!.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'user-123', entered_code: entered, ...extra } });
    expect((await validate(code === '000000' ? '111111' : '000000')).json).toEqual({ status: 200, data: 'invalid' });
    expect((await validate(code)).json).toEqual({ status: 200, data: 'valid' });
    expect((await validate(code)).json).toEqual({ status: 200, data: 'invalid' }); // used
    // A second code by POST with the default template; any unused code in the window is accepted.
    const post = await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'user-123', message_type: 'sms', message_destination: '+61491570008', company_name: 'TEST COMPANY' } });
    expect(post.json.data).toBe('message sent');
    const second = sentCode(d, 'user-123');
    expect(JSON.parse((d.db.prepare(`SELECT content FROM jobs ORDER BY id DESC LIMIT 1`).get() as { content: string }).content).text.texts[0]).toBe(`Your TEST COMPANY verification code is ${second}`);
    // The company name is text: replacement patterns stay as written, control characters go.
    await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'user-123', message_type: 'sms', message_destination: '+61491570008', company_name: "A$&B$'C$`\u0007\u001b" } });
    expect(JSON.parse((d.db.prepare(`SELECT content FROM jobs ORDER BY id DESC LIMIT 1`).get() as { content: string }).content).text.texts[0]).toBe(`Your A$&B$'C$\` verification code is ${sentCode(d, 'user-123')}`);
    const escaped = await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'user-123', message_type: 'sms', message_destination: '+61491570008', message_template: 'Code \u001b[[code]]' } });
    expect(escaped.status).toBe(422);
    expect(escaped.json.errors).toEqual(['message_template: contains a control character (U+001B at character 6); only LF, CR and TAB are taken']);
    const viaGet = await d.api('GET', `/api/v1/client_verification/validateCode?client_ref=user-123&entered_code=${second}&validation_window=5`, { auth: u.auth });
    expect(viaGet.json).toEqual({ status: 200, data: 'valid' });
    // Codes belong to the account that sent them.
    const other = d.addUser('other', 'user');
    await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'shared', message_type: 'sms', message_destination: '61491570008', company_name: 'X' } });
    expect((await d.api('POST', '/api/v1/client_verification/validateCode', { auth: other.auth, body: { client_ref: 'shared', entered_code: sentCode(d, 'shared') } })).json.data).toBe('invalid');
  });

  it('limits wrong guesses per client_ref with 429', async () => {
    d = await testDaemon({ two_factor: { max_failures: 3 } });
    const u = d.addUser('app', 'user');
    await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'c1', message_type: 'sms', message_destination: '61491570008', company_name: 'X' } });
    const code = sentCode(d, 'c1');
    const wrong = code === '123456' ? '654321' : '123456';
    for (let i = 0; i < 3; i++) expect((await d.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'c1', entered_code: wrong } })).json.data).toBe('invalid');
    const blocked = await d.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'c1', entered_code: code } });
    expect(blocked.status).toBe(429);
    expect(blocked.json.errors[0]).toMatch(/too many/);
    expect((await d.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'c2', entered_code: code } })).json.data).toBe('invalid');
  });

  // The count and the failure are two store calls on the engine's thread: guesses sent together must
  // not all pass the count before any failure is written.
  it('limits wrong guesses sent together as it does guesses sent one by one', async () => {
    d = await testDaemon({ two_factor: { max_failures: 3 } });
    const u = d.addUser('app', 'user');
    await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'c1', message_type: 'sms', message_destination: '61491570008', company_name: 'X' } });
    const code = sentCode(d, 'c1');
    const wrong = code === '123456' ? '654321' : '123456';
    const answers = await Promise.all(Array.from({ length: 12 }, () => d!.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'c1', entered_code: wrong } })));
    expect(answers.filter((a) => a.status === 200).map((a) => a.json.data)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(9);
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM verification_failures').get() as { n: number }).n).toBe(3);
  });

  it('refuses bad requests with an array of errors, and e-mail until that channel exists; sends by voice', async () => {
    d = await testDaemon();
    const u = d.addUser('app', 'user');
    const send = (body: Record<string, unknown>) => d!.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body });
    const missing = await send({});
    expect(missing.status).toBe(422);
    expect(missing.json.errors).toEqual(expect.arrayContaining([expect.stringMatching(/client_ref/), expect.stringMatching(/message_type/), expect.stringMatching(/message_destination/)]));
    expect((await send({ client_ref: 'a', message_type: 'sms', message_destination: '61491570008', message_template: 'no code here' })).json.errors[0]).toMatch(/\[\[code\]\]/);
    expect((await send({ client_ref: 'a', message_type: 'sms', message_destination: 'nobody', company_name: 'X' })).json.errors[0]).toMatch(/message_destination/);
    expect((await send({ client_ref: 'a', message_type: 'email', message_destination: 'a@b.example', company_name: 'X' })).status).toBe(501);
    // By voice: a TTS call that reads the code (twice, as TTS messages are).
    expect((await send({ client_ref: 'v', message_type: 'tts', message_destination: '61491570156', message_template: 'Your code is [[code]]' })).json).toEqual({ status: 200, data: 'message sent' });
    expect(d.db.prepare(`SELECT channel FROM jobs`).all()).toEqual([{ channel: 'tts' }]);
    expect(d.db.prepare(`SELECT channel FROM verification_codes`).all()).toEqual([{ channel: 'tts' }]);
    expect((await d.api('POST', '/api/v1/client_verification/validateCode', { auth: u.auth, body: { client_ref: 'a', entered_code: '1', validation_window: 500 } })).json.errors[0]).toMatch(/validation_window/);
    expect((await d.api('GET', '/api/v1/client_verification/sendCode?client_ref=a')).status).toBe(401);
    expect(d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual({ n: 1 }); // the voice code only
  });

  it('keeps only the template once the message is final', async () => {
    d = await testDaemon();
    const u = d.addUser('app', 'user');
    await d.api('POST', '/api/v1/client_verification/sendCode', { auth: u.auth, body: { client_ref: 'r', message_type: 'sms', message_destination: '61491570156', message_template: 'Code [[code]]' } });
    await d.waitFor(() => (d!.db.prepare('SELECT content FROM jobs').get() as { content: string }).content === JSON.stringify({ kind: 'sms', text: { texts: ['Code [[code]]'] }, sms: {} }));
    expect(d.db.prepare('SELECT state FROM recipients').get()).toEqual({ state: 'delivered' });
  });
});
