import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { EslPeer, parseOriginate } from '../peers/esl.js';
import { EslLink, type EslEvent } from '../../dist/gateways/freeswitch/esl-link.js';
import { originateArg, dialstring, dialNumber, DialError, checkFile } from '../../dist/gateways/freeswitch/originate.js';
import { hangupOutcome, keptCallEnd } from '../../dist/gateways/freeswitch/hangup.js';

const log = pino({ level: 'silent' });
let peer: EslPeer | undefined;
let link: EslLink | undefined;
afterEach(async () => {
  await link?.stop();
  link = undefined;
  await peer?.close();
  peer = undefined;
});

const settings = (port: number, extra: Record<string, unknown> = {}) => ({
  host: '127.0.0.1',
  port,
  password: 'Sw1tchP0st-esl',
  events: ['CHANNEL_ANSWER', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'CHANNEL_EXECUTE_COMPLETE', 'DTMF'],
  timeoutMs: 1000,
  reconnectMinMs: 50,
  reconnectMaxMs: 200,
  ...extra,
});
const waitFor = async <T>(fn: () => T | undefined | false | null, ms = 5000): Promise<T> => {
  const until = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('originate builder', () => {
  const spec = (over: Record<string, unknown> = {}) => ({
    uuid: randomUUID(),
    dialstring: dialstring('sofia/gateway/{gateway}/{number}', 'telco-a', dialNumber('+61491570156', null)),
    callerIdNumber: '+61412345678',
    callerIdName: 'Acme Ltd',
    timeoutSeconds: 30,
    ignoreEarlyMedia: true,
    ...over,
  });

  it('writes the channel variables and the dialstring FreeSWITCH expects, and reads back the same', () => {
    const s = spec();
    const arg = originateArg(s);
    expect(arg).toBe(`{origination_uuid=${s.uuid},originate_timeout=30,ignore_early_media=true,hangup_after_bridge=true,origination_caller_id_number=61412345678,origination_caller_id_name='Acme Ltd'}sofia/gateway/telco-a/61491570156 &park()`);
    expect(parseOriginate(arg)).toEqual({
      vars: { origination_uuid: s.uuid, originate_timeout: '30', ignore_early_media: 'true', hangup_after_bridge: 'true', origination_caller_id_number: '61412345678', origination_caller_id_name: 'Acme Ltd' },
      endpoint: 'sofia/gateway/telco-a/61491570156',
      app: '&park()',
    });
  });

  it('applies prefix rules', () => {
    expect(dialNumber('+61491570156', '+61=0')).toBe('0491570156');
    expect(dialNumber('+4917615500001', '+61=0')).toBe('4917615500001');
    expect(dialNumber('+61491570156', '9')).toBe('961491570156');
  });

  it('refuses hostile destinations, caller ids, variables, templates and files instead of escaping them', () => {
    const hostile: [string, () => unknown][] = [
      ['destination with a variable', () => dialNumber('61491570156,origination_caller_id_number=666', null)],
      ['destination closing the list', () => dialNumber('123}&bridge(sofia/gateway/x/999)', null)],
      ['destination with a second command', () => dialNumber('123\n\napi shutdown', null)],
      ['number in the template step', () => dialstring('sofia/gateway/{gateway}/{number}', 'gw', '123 &echo')],
      ['gateway name', () => dialstring('sofia/gateway/{gateway}/{number}', "gw,x='y'", '123456')],
      ['template with a pipe', () => dialstring('sofia/gateway/a/{number}|loopback/9999', null, '123456')],
      ['template with an application', () => dialstring('{number} &bridge(x)', null, '123456')],
      ['caller id name breaking the quotes', () => originateArg(spec({ callerIdName: "x',absolute_codec_string=PCMU" }))],
      ['caller id name with a brace', () => originateArg(spec({ callerIdName: 'a}b' }))],
      ['caller id number', () => originateArg(spec({ callerIdNumber: '123,ignore_early_media=false' }))],
      ['uuid', () => originateArg(spec({ uuid: 'x}sofia/gateway/evil/1' }))],
      ['variable value', () => originateArg(spec({ variables: { sip_h_X: 'a,b=c' } }))],
      ['variable name', () => originateArg(spec({ variables: { 'a=b,c': '1' } }))],
      ['file traversal', () => checkFile('/var/lib/switchpost/../../etc/passwd')],
      ['file with a space', () => checkFile('/tmp/a b.wav')],
    ];
    for (const [what, fn] of hostile) expect(fn, what).toThrow(DialError);
  });
});

describe('hangup causes', () => {
  it('maps answered, busy, no answer, rejected and unallocated calls', () => {
    expect(hangupOutcome({ cause: 'NORMAL_CLEARING', answered: true, billsec: 12 })).toMatchObject({ kind: 'receipt', status: 'delivered' });
    expect(hangupOutcome({ cause: 'USER_BUSY', answered: false, billsec: 0 })).toMatchObject({ kind: 'failed', retryable: true, code: 'USER_BUSY' });
    expect(hangupOutcome({ cause: 'NO_ANSWER', answered: false, billsec: 0 })).toMatchObject({ kind: 'failed', retryable: true });
    expect(hangupOutcome({ cause: 'CALL_REJECTED', answered: false, billsec: 0 })).toMatchObject({ kind: 'failed', retryable: false, state: 'rejected' });
    expect(hangupOutcome({ cause: 'UNALLOCATED_NUMBER', answered: false, billsec: 0 })).toMatchObject({ kind: 'failed', retryable: false, state: 'invalid' });
    // Over SIP a callee who declined (4xx/6xx with Reason: Q.850;cause=16): never rung again.
    expect(hangupOutcome({ cause: 'NORMAL_CLEARING', answered: false, billsec: 0 })).toMatchObject({ kind: 'failed', retryable: false, state: 'rejected', reason: 'cleared before it was answered' });
  });

  it('reads what FreeSWITCH kept of a call (its api_hangup_hook, expanded), and nothing else', () => {
    expect(keptCallEnd('7:NORMAL_CLEARING:::::')).toEqual({ billsec: 7, cause: 'NORMAL_CLEARING', fax: null });
    expect(keptCallEnd('95:NORMAL_CLEARING:0:49:1:3:negotiated')).toEqual({ billsec: 95, cause: 'NORMAL_CLEARING', fax: { success: false, code: '49', pages: 1, total: 3, t38: 'negotiated' } });
    for (const answer of ['', '-ERR hash Command not found!\n', '7:NORMAL_CLEARING', 'x:Y:::::']) expect(keptCallEnd(answer), answer).toBeNull();
  });

  it('our own switch going away is retried, never a rejection of the recipient', () => {
    for (const cause of ['SYSTEM_SHUTDOWN', 'MANAGER_REQUEST']) expect(hangupOutcome({ cause, answered: false, billsec: 0 }), cause).toMatchObject({ kind: 'failed', retryable: true, code: cause });
    // Answered and cut short by it: tried again; answered and played to the end: delivered.
    expect(hangupOutcome({ cause: 'SYSTEM_SHUTDOWN', answered: true, billsec: 3, cutShort: true })).toMatchObject({ kind: 'failed', retryable: true, reason: 'cut short by our own switch (system shutdown)' });
    expect(hangupOutcome({ cause: 'SYSTEM_SHUTDOWN', answered: true, billsec: 3, cutShort: false })).toMatchObject({ kind: 'receipt', status: 'delivered' });
    expect(hangupOutcome({ cause: 'NORMAL_CLEARING', answered: true, billsec: 3, cutShort: true })).toMatchObject({ kind: 'receipt', status: 'delivered' });
  });
});

describe('event socket link against the ESL peer', () => {
  it("authenticates, subscribes, runs api and bgapi originate, and receives the call's events", async () => {
    peer = new EslPeer({ password: 'Sw1tchP0st-esl' });
    const port = await peer.listen();
    link = new EslLink(settings(port), log);
    const events: EslEvent[] = [];
    link.on('event', (e: EslEvent) => events.push(e));
    link.start();
    await waitFor(() => link!.up);
    expect(peer.commands.map((c) => c.line).filter((l) => l.startsWith('event'))).toEqual(['event json BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE', 'event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE DTMF']);
    expect(await link.api('uuid_exists', randomUUID())).toBe('false');
    const uuid = randomUUID();
    const job = randomUUID();
    await link.bgapi('originate', originateArg({ uuid, dialstring: 'sofia/gateway/gw/61491570156', callerIdNumber: null, callerIdName: null, timeoutSeconds: 30, ignoreEarlyMedia: true }), job);
    const bg = await waitFor(() => events.find((e) => e.name === 'BACKGROUND_JOB' && e.get('Job-UUID') === job));
    expect(bg.body).toBe(`+OK ${uuid}\n`);
    expect(events.find((e) => e.name === 'CHANNEL_ANSWER')?.get('Unique-ID')).toBe(uuid);
    expect(await link.api('uuid_exists', uuid)).toBe('true');
    await link.sendmsg(uuid, { 'call-command': 'execute', 'execute-app-name': 'hangup', 'execute-app-arg': 'NORMAL_CLEARING' });
    const end = await waitFor(() => events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE'));
    expect([end.get('Unique-ID'), end.get('Hangup-Cause'), end.get('variable_billsec')]).toEqual([uuid, 'NORMAL_CLEARING', '0']);
    await expect(link.api('uuid_exists', 'x\n\napi shutdown')).rejects.toThrow(/line break/);
    // Content-Length counts bytes: multibyte bodies must come through whole, and the next reply in order.
    expect(await link.api('echo', 'Zoë ✓ 日本語 — ok')).toBe('Zoë ✓ 日本語 — ok');
    expect(await link.api('uuid_exists', uuid)).toBe('false');
  });

  it('stays down on a wrong password, and reconnects after a drop without doubling its handlers', async () => {
    peer = new EslPeer({ password: 'right-password-1' });
    const port = await peer.listen();
    link = new EslLink(settings(port, { password: 'wrong' }), log);
    link.start();
    await waitFor(() => peer!.authFailures >= 2);
    expect(link.up).toBe(false);
    await link.stop();

    link = new EslLink(settings(port, { password: 'right-password-1' }), log);
    const states: boolean[] = [];
    link.on('state', (up: boolean) => states.push(up));
    const answers: string[] = [];
    link.on('event', (e: EslEvent) => e.name === 'CHANNEL_ANSWER' && answers.push(e.get('Unique-ID')!));
    link.start();
    await waitFor(() => link!.up);
    peer.dropClients();
    await waitFor(() => states.length >= 3 && link!.up);
    expect(states.slice(0, 3)).toEqual([true, false, true]);
    const uuid = randomUUID();
    await link.bgapi('originate', originateArg({ uuid, dialstring: 'sofia/gateway/gw/61491570156', callerIdNumber: null, callerIdName: null, timeoutSeconds: 30, ignoreEarlyMedia: true }), randomUUID());
    await waitFor(() => answers.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(answers).toEqual([uuid]);
  });

  it('rejects a sendmsg FreeSWITCH refuses (-ERR in Reply-Text) with its reply', async () => {
    peer = new EslPeer({ password: 'Sw1tchP0st-esl' });
    link = new EslLink(settings(await peer.listen()), log);
    link.start();
    await waitFor(() => link!.up);
    const gone = randomUUID();
    const err = await link.sendmsg(gone, { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': '/tmp/x.wav' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EslError', code: 'refused', message: `-ERR invalid session id [${gone}]` });
  });

  it('logs a lost event socket once at warn, not once per failed reconnect', async () => {
    const lines: { level: number; msg: string }[] = [];
    const captured = pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    peer = new EslPeer({ password: 'Sw1tchP0st-esl' });
    link = new EslLink(settings(await peer.listen()), captured);
    link.start();
    await waitFor(() => link!.up);
    await peer.shutdown(); // FreeSWITCH goes away: every reconnect is refused until it is back
    await new Promise((r) => setTimeout(r, 800));
    await peer.restart();
    await waitFor(() => link!.up);
    const warnings = lines.filter((l) => l.level >= 40);
    expect(warnings.map((l) => l.msg)).toEqual(['event socket lost; reconnecting']);
    expect(lines.filter((l) => l.msg === 'event socket error').length).toBeGreaterThanOrEqual(2); // the refused reconnects, at debug
  });

  it('fails a request that gets no answer and resets the link', async () => {
    peer = new EslPeer({ password: 'Sw1tchP0st-esl', silent: true });
    const port = await peer.listen();
    link = new EslLink(settings(port, { timeoutMs: 300 }), log);
    const states: boolean[] = [];
    link.on('state', (up: boolean) => states.push(up));
    link.start();
    await waitFor(() => link!.up);
    await expect(link.api('status', '')).rejects.toThrow(/no answer to api status within 300 ms/);
    await waitFor(() => states.length >= 2);
    expect(states.slice(0, 2)).toEqual([true, false]);
  });
});
