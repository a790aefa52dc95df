import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { EslPeer } from '../peers/esl.js';
import { EslLink } from '../../dist/gateways/freeswitch/esl-link.js';

// Typed ESL errors (issue 13 item 7): each names the request it was for; a refusal carries FreeSWITCH's reply.
const log = pino({ level: 'silent' });
let peer: EslPeer | undefined;
let link: EslLink | undefined;
afterEach(async () => {
  await link?.stop();
  link = undefined;
  await peer?.close();
  peer = undefined;
});

const settings = (port: number, timeoutMs = 1000) => ({ host: '127.0.0.1', port, password: 'Sw1tchP0st-esl', events: ['CHANNEL_ANSWER'], timeoutMs, reconnectMinMs: 50, reconnectMaxMs: 200 });
const up = async (l: EslLink): Promise<void> => {
  const until = Date.now() + 5000;
  while (!l.up) {
    if (Date.now() > until) throw new Error('the link did not come up');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ESL errors', () => {
  it('a refused sendmsg carries the command and FreeSWITCH reply text', async () => {
    peer = new EslPeer({ password: 'Sw1tchP0st-esl' });
    link = new EslLink(settings(await peer.listen()), log);
    link.start();
    await up(link);
    const gone = randomUUID();
    const err = await link.sendmsg(gone, { 'call-command': 'execute', 'execute-app-name': 'playback', 'execute-app-arg': '/tmp/x.wav' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'refused', command: 'sendmsg playback', reply: `-ERR invalid session id [${gone}]` });
  });

  it('a request with no answer is a timeout naming the command', async () => {
    peer = new EslPeer({ password: 'Sw1tchP0st-esl', silent: true });
    link = new EslLink(settings(await peer.listen(), 300), log);
    link.start();
    await up(link);
    const err = await link.api('status', '').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'EslError', code: 'timeout', command: 'api status', reply: null });
  });

  it('a request on a link that is down, or with a line break, names the command', async () => {
    link = new EslLink(settings(1), log);
    expect(await link.api('status', '').catch((e: unknown) => e)).toMatchObject({ code: 'down', command: 'api status', reply: null });
    expect(await link.bgapi('originate', 'a\nb', randomUUID()).catch((e: unknown) => e)).toMatchObject({ code: 'line_break', command: 'bgapi originate' });
  });
});
