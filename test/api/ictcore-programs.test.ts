import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { testDaemon, type TestDaemon, bearer } from '../helpers/daemon.js';

// Issue 18, ICTCore: the program API as ICTCore has it (core/Api/ProgramApi.php, core/Program/*.php,
// core/Api/Message/*Api.php, AccountApi::subscribe).
let d: TestDaemon;
let alice: string;
let bob: string;
const count = (table: string) => (d.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const binary = async (method: string, path: string, auth: string, type: string, body: Buffer) => {
  const res = await fetch(d.url + path, { method, headers: { authorization: auth, 'content-type': type }, body });
  return { status: res.status, json: await res.json().catch(() => null) };
};
const pdf = async (words: string, pages = 1) => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let i = 0; i < pages; i++) doc.addPage().drawText(`${words} ${i + 1}`, { x: 50, y: 700, size: 30, font });
  return Buffer.from(await doc.save());
};

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('alice', 'user', { password: 'alice-secret' });
  d.addUser('bob', 'user', { password: 'bob-secret' });
  alice = await bearer(d, 'alice', 'alice-secret');
  bob = await bearer(d, 'bob', 'bob-secret');
});
afterAll(() => d.close());

describe('ICTCore face: programs as ProgramApi has them', () => {
  it('sends in one call: POST /programs/{type}/transmissions with program_data and transmission_data', async () => {
    const r = await d.api('POST', '/programs/sendsms/transmissions', { auth: alice, body: { program_data: { message: 'One call' }, transmission_data: { phone: '+61491571401', title: 'quick' } } });
    expect(r.status, r.text).toBe(200);
    const id = r.json as number;
    const t = (await d.api('GET', `/transmissions/${id}`, { auth: alice })).json;
    expect(t).toMatchObject({ transmission_id: id, phone: '+61491571401', title: 'quick', status: 'pending', service_flag: 4 });
    // The program made for it: named after its type (ICTCore's default name), its message a stored text.
    const program = (await d.api('GET', `/programs/${t.program_id}`, { auth: alice })).json;
    expect(program).toMatchObject({ program_id: t.program_id, type: 'sendsms', name: 'sendsms' });
    expect((await d.api('GET', `/texts/${program.text_id}`, { auth: alice })).json.data).toBe('One call');
    // Held, as ICTCore's: sent by /send.
    expect((await d.api('POST', `/transmissions/${id}/send`, { auth: alice })).status).toBe(200);
    await d.waitFor(() => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state === 'delivered');
    const body = (d.db.prepare('SELECT j.content FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?').get(id) as { content: string }).content;
    expect(body).toContain('One call');

    // voicetts takes its message as `text` (core/Program/Voicetts.php).
    const tts = await d.api('POST', '/programs/voicetts/transmissions', { auth: alice, body: { program_data: { text: 'Spoken words' }, transmission_data: { phone: '+61491571402' } } });
    expect(tts.status, tts.text).toBe(200);
    const ttsProgram = (await d.api('GET', `/transmissions/${tts.json}`, { auth: alice })).json.program_id as number;
    const ttsText = (await d.api('GET', `/programs/${ttsProgram}`, { auth: alice })).json.text_id as number;
    expect((await d.api('GET', `/messages/texts/${ttsText}`, { auth: alice })).json.data).toBe('Spoken words');
  });

  it('refuses bad one-call bodies and stores nothing', async () => {
    const before = [count('programs'), count('messages'), count('recipients')];
    const cases: [string, unknown, number, RegExp][] = [
      ['/programs/sendsms/transmissions', { program_data: { message: 'x' } }, 412, /for transmission_data: Transmission data is missing/],
      ['/programs/sendsms/transmissions', { program_data: {}, transmission_data: { phone: '+61491571403' } }, 412, /for text_id: is required/],
      ['/programs/sendsms/transmissions', { program_data: { message: 'x' }, transmission_data: { phone: 'call me' } }, 412, /for phone: not a phone number/],
      ['/programs/sendsms/transmissions', { program_data: { message: 'x' }, transmission_data: { contact_id: 999999 } }, 404, /contact 999999/],
      ['/programs/nosuch/transmissions', { program_data: {}, transmission_data: { phone: '+61491571403' } }, 404, /no program type/],
      ['/programs/receivesms/transmissions', { program_data: {}, transmission_data: { phone: '+61491571403' } }, 412, /account_id: is required/],
    ];
    for (const [path, body, status, message] of cases) {
      const r = await d.api('POST', path, { auth: alice, body });
      expect(r.status, `${JSON.stringify(body)}: ${r.text}`).toBe(status);
      expect(r.json.error.message).toMatch(message);
    }
    expect([count('programs'), count('messages'), count('recipients')]).toEqual(before);
  });

  it('reads, lists by type and updates a program (GET|PUT /programs/{id}, GET /programs/{type})', async () => {
    const sms = (await d.api('POST', '/programs/sendsms', { auth: alice, body: { name: 'promo', message: 'First' } })).json as number;
    const tts = (await d.api('POST', '/programs/voicetts', { auth: alice, body: { text: 'Hello' } })).json as number;
    const types = async (path: string) => ((await d.api('GET', path, { auth: alice })).json as { program_id: number }[]).map((p) => p.program_id);
    expect(await types('/programs/sendsms')).toContain(sms);
    expect(await types('/programs/sendsms')).not.toContain(tts);
    expect(await types('/programs/voicetts')).toContain(tts);
    expect(await types('/programs/voicetts')).not.toContain(sms);
    expect((await d.api('GET', '/programs/nosuch', { auth: alice })).status).toBe(404);
    const up = await d.api('PUT', `/programs/${sms}`, { auth: alice, body: { name: 'promo2', message: 'Second' } });
    expect(up.status, up.text).toBe(200);
    expect(up.json).toMatchObject({ program_id: sms, name: 'promo2', type: 'sendsms' });
    expect((await d.api('GET', `/messages/texts/${up.json.text_id}`, { auth: alice })).json.data).toBe('Second');
    // A send after the update sends the new message.
    const id = (await d.api('PUT', `/programs/${sms}/transmissions`, { auth: alice, body: { phone: '+61491571404' } })).json as number;
    await d.api('POST', `/transmissions/${id}/send`, { auth: alice });
    const content = (d.db.prepare('SELECT j.content FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?').get(id) as { content: string }).content;
    expect(content).toContain('Second');
    // Only the name: the message stays; a bad message id, another's program: refused, nothing changes.
    expect((await d.api('PUT', `/programs/${sms}`, { auth: alice, body: { name: 'promo3' } })).json).toMatchObject({ name: 'promo3', text_id: up.json.text_id });
    expect((await d.api('PUT', `/programs/${sms}`, { auth: alice, body: { text_id: 999999 } })).status).toBe(404);
    expect((await d.api('PUT', `/programs/${sms}`, { auth: alice, body: { name: '' } })).status).toBe(412);
    expect((await d.api('PUT', `/programs/${sms}`, { auth: bob, body: { name: 'mine' } })).status).toBe(404);
    expect((await d.api('GET', `/programs/${sms}`, { auth: alice })).json).toMatchObject({ name: 'promo3', text_id: up.json.text_id });
  });

  it('serves messages at /documents, /texts, /recordings, /templates too', async () => {
    const t = (await d.api('POST', '/texts', { auth: alice, body: { name: 'alias', data: 'Via alias' } })).json as number;
    expect((await d.api('GET', `/messages/texts/${t}`, { auth: alice })).json.data).toBe('Via alias');
    expect((await d.api('PUT', `/texts/${t}`, { auth: alice, body: { data: 'Changed' } })).json.data).toBe('Changed');
    const tpl = (await d.api('POST', '/templates', { auth: alice, body: { name: 'n', subject: 'S', body: 'B' } })).json as number;
    expect(((await d.api('GET', '/messages/templates', { auth: alice })).json as { template_id: number }[]).map((x) => x.template_id)).toContain(tpl);
    expect((await d.api('POST', '/recordings', { auth: alice, body: { name: 'r' } })).status).toBe(200);
    expect((await d.api('GET', '/documents', { auth: bob })).json).toEqual([]);
    expect((await d.api('DELETE', `/texts/${t}`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/messages/texts/${t}`, { auth: alice })).status).toBe(404);
  });

  it('appends files to a document by POST …/media (DocumentApi::upload), PUT replaces them', async () => {
    const doc = (await d.api('POST', '/documents', { auth: alice, body: { name: 'pack' } })).json as number;
    expect((await binary('PUT', `/documents/${doc}/media`, alice, 'application/pdf', await pdf('first', 2))).json).toBe(doc);
    expect((await d.api('GET', `/documents/${doc}`, { auth: alice })).json).toMatchObject({ pages: 2, type: 'pdf' });
    expect((await binary('POST', `/documents/${doc}/media`, alice, 'application/pdf', await pdf('second', 3))).json).toBe(doc);
    expect((await d.api('GET', `/messages/documents/${doc}`, { auth: alice })).json).toMatchObject({ pages: 5, type: 'tif' });
    const back = await fetch(`${d.url}/documents/${doc}/media`, { headers: { authorization: alice } });
    expect(back.headers.get('content-type')).toBe('image/tiff');
    expect((await binary('POST', `/documents/${doc}/media`, alice, 'text/plain', Buffer.from('a page of text'))).json).toBe(doc);
    expect((await d.api('GET', `/documents/${doc}`, { auth: alice })).json.pages).toBe(6);
    // A bad file appended changes nothing.
    expect((await binary('POST', `/documents/${doc}/media`, alice, 'application/pdf', Buffer.from('not a pdf'))).status).toBe(412);
    expect((await d.api('GET', `/documents/${doc}`, { auth: alice })).json.pages).toBe(6);
    expect((await binary('PUT', `/documents/${doc}/media`, alice, 'application/pdf', await pdf('alone'))).json).toBe(doc);
    expect((await d.api('GET', `/documents/${doc}`, { auth: alice })).json).toMatchObject({ pages: 1, type: 'pdf' });
  });

  it('appends audio to a recording by POST …/media (RecordingApi::upload): it plays its files in order', async () => {
    const tone = (secs: number, hz: number) => {
      const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=${secs}`, '-ar', '44100', '-f', 'wav', 'pipe:1'], { maxBuffer: 1 << 24 });
      expect(r.status, String(r.stderr)).toBe(0);
      return r.stdout;
    };
    const rec = (await d.api('POST', '/recordings', { auth: alice, body: { name: 'greeting' } })).json as number;
    expect((await binary('PUT', `/recordings/${rec}/media`, alice, 'audio/wav', tone(1, 440))).json).toBe(rec);
    expect((await d.api('GET', `/recordings/${rec}`, { auth: alice })).json.length).toBe(1);
    expect((await binary('POST', `/recordings/${rec}/media`, alice, 'audio/wav', tone(2, 880))).json).toBe(rec);
    expect((await d.api('GET', `/recordings/${rec}`, { auth: alice })).json).toMatchObject({ length: 3, type: 'wav' });
    // The download is what is played: one 8 kHz WAV of both, the first tone then the second.
    const back = await fetch(`${d.url}/recordings/${rec}/media`, { headers: { authorization: alice } });
    expect(back.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await back.arrayBuffer());
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(Math.round((wav.length - 44) / 16_000)).toBe(3);
    // A voice transmission of it plays the joined file.
    const program = (await d.api('POST', '/programs/voicemessage', { auth: alice, body: { recording_id: rec } })).json as number;
    const t = (await d.api('POST', '/transmissions', { auth: alice, body: { program_id: program, phone: '+61491571409' } })).json as number;
    const content = JSON.parse((d.db.prepare('SELECT j.content FROM recipients r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?').get(t) as { content: string }).content);
    expect(content.recording.file).toMatch(/\.joined\.wav$/);
    // Not audio: refused, and the recording is as it was.
    expect((await binary('POST', `/recordings/${rec}/media`, alice, 'audio/wav', Buffer.from('not audio at all'))).status).toBe(412);
    expect((await d.api('GET', `/recordings/${rec}`, { auth: alice })).json.length).toBe(3);
    // PUT replaces them with one.
    expect((await binary('PUT', `/recordings/${rec}/media`, alice, 'audio/wav', tone(1, 660))).json).toBe(rec);
    expect((await d.api('GET', `/recordings/${rec}`, { auth: alice })).json.length).toBe(1);
  });

  it('installs a program on an account by type (PUT /accounts/{id}/programs/{type}) and removes it by name', async () => {
    const account = (await d.api('POST', '/accounts', { auth: alice, body: { username: 'did-1', type: 'did', phone: '+61491571405' } })).json as number;
    const r = await d.api('PUT', `/accounts/${account}/programs/receivesms`, { auth: alice });
    expect(r.status, r.text).toBe(200);
    const program = (await d.api('GET', `/programs/${r.json}`, { auth: alice })).json;
    expect(program).toMatchObject({ type: 'receivesms', name: 'receivesms', account_id: account });
    expect((await d.api('GET', `/accounts/${account}`, { auth: alice })).json.programs).toEqual([r.json]);
    // A send type needs its message; an unknown type is a 404.
    expect((await d.api('PUT', `/accounts/${account}/programs/sendsms`, { auth: alice })).status).toBe(412);
    expect((await d.api('PUT', `/accounts/${account}/programs/nosuch`, { auth: alice })).status).toBe(404);
    expect((await d.api('DELETE', `/accounts/${account}/programs/receivesms`, { auth: alice })).json).toBe(true);
    expect((await d.api('GET', `/accounts/${account}`, { auth: alice })).json.programs).toEqual([]);
  });

  it("answers results in ICTCore's words: the application's success or error, and the error's text", async () => {
    const ok = (await d.api('POST', '/programs/sendsms/transmissions', { auth: alice, body: { program_data: { message: 'ok' }, transmission_data: { phone: '+61491571410' } } })).json as number;
    // +…009: the sandbox's link is down on every try.
    const bad = (await d.api('POST', '/programs/sendsms/transmissions', { auth: alice, body: { program_data: { message: 'bad' }, transmission_data: { phone: '+61491570009' } } })).json as number;
    for (const id of [ok, bad]) await d.api('POST', `/transmissions/${id}/send`, { auth: alice });
    const state = (id: number) => (d.db.prepare('SELECT state FROM recipients WHERE id = ?').get(id) as { state: string }).state;
    await d.waitFor(() => state(ok) === 'delivered' && state(bad) === 'failed', 8000);
    expect((await d.api('GET', `/transmissions/${ok}/result`, { auth: alice })).json).toEqual([expect.objectContaining({ type: 'application', name: 'sms_send', data: 'success' })]);
    const failed = (await d.api('GET', `/transmissions/${bad}/result`, { auth: alice })).json as { type: string; name: string; data: string; spool_id: number }[];
    expect(failed.map((r) => [r.type, r.name])).toEqual([
      ['application', 'sms_send'],
      ['error', 'error'],
    ]);
    expect(failed[0]!.data).toBe('error');
    expect(failed[1]!.data).not.toBe('');
    expect((await d.api('GET', `/spools/${failed[0]!.spool_id}/result`, { auth: alice })).json).toEqual(failed);
  });
});
