import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, bearer, type TestDaemon } from '../helpers/daemon.js';

// The v1 API's uploaded lists (seed 000): the fixed columns Recipient, Reference, Email, Fax, Phone,
// Mobile, CustomField1–6, merged as %%recipient%%, %%customfield1%%…; each channel sends to its own
// number of the contact; with user_list_ids the recipients array is ignored.
let d: TestDaemon;
let ann: { id: number; auth: string };
let token: string;
let list: number;

const LIST_CSV = [
  'Recipient,Reference,Email,Fax,Phone,Mobile,CustomField1,CustomField2,CustomField3,CustomField4,CustomField5,CustomField6',
  'Jane Smith,ref-1,jane@example.com,+61491574701,+61491574702,+61491574703,c1,c2,c3,c4,c5,c6',
  'Phone Only,ref-2,,,+61491574712,,,,,,,',
  'Mail Only,ref-3,mail@example.com,,,,,,,,,',
].join('\n');

const recipientsOf = (job: number) =>
  d.db.prepare('SELECT destination, name, reference, fields FROM recipients WHERE job_id = ? ORDER BY seq').all(job) as { destination: string; name: string | null; reference: string | null; fields: string | null }[];
const post = (body: Record<string, unknown>) => d.api('POST', '/api/v1/jobs', { auth: ann.auth, body });

beforeAll(async () => {
  d = await testDaemon();
  ann = d.addUser('au/ann', 'user', { password: 'ann-secret' });
  token = await bearer(d, 'au/ann', 'ann-secret');
  list = (await d.api('POST', '/groups', { auth: token, body: { name: 'uploaded' } })).json as number;
  const up = await d.api('POST', `/groups/${list}/csv`, { auth: token, raw: LIST_CSV, headers: { 'content-type': 'text/csv' } });
  expect(up.json, up.text).toMatchObject({ imported: 3, rejected_total: 0 });
});
afterAll(() => d.close());

describe("v1 lists with the seed's columns", () => {
  it('keeps every column of an upload, and merges them by their v1 names', async () => {
    const r = await post({ job_type: 'sms', message: 'Hi %%recipient%% (%%reference%%): %%customfield1%%/%%customfield6%% %%email%% %%fax%%', user_list_ids: String(list) });
    expect(r.status, r.text).toBe(200);
    const [jane] = recipientsOf(r.json.data);
    expect(jane).toMatchObject({ name: 'Jane Smith', reference: 'ref-1' });
    expect(JSON.parse(jane!.fields!)).toMatchObject({ recipient: 'Jane Smith', reference: 'ref-1', email: 'jane@example.com', fax: '+61491574701', phone: '+61491574702', mobile: '+61491574703', customfield1: 'c1', customfield6: 'c6' });
    // The reference is the report's, as for a recipient given inline.
    await d.waitFor(() => (d.db.prepare('SELECT status FROM jobs WHERE id = ?').get(r.json.data) as { status: string }).status === 'complete');
    const report = (await d.api('GET', `/api/v1/jobs/${r.json.data}`, { auth: ann.auth })).json.data.reports;
    expect(report.map((x: { reference: string; recipient: string; destination: string }) => [x.reference, x.recipient, x.destination])).toEqual([
      ['ref-1', 'Jane Smith', '+61491574703'],
      ['ref-2', 'Phone Only', '+61491574712'],
    ]);
  });

  it("sends each channel to the contact's own number: SMS to the mobile, calls to the phone or the preferred one, fax to the fax", async () => {
    const sms = await post({ job_type: 'sms', message: 'x', user_list_ids: list });
    expect(recipientsOf(sms.json.data).map((x) => x.destination)).toEqual(['+61491574703', '+61491574712']);
    const tts = await post({ job_type: 'tts', message: 'hello', user_list_ids: [list] });
    expect(tts.status, tts.text).toBe(200);
    expect(recipientsOf(tts.json.data).map((x) => x.destination)).toEqual(['+61491574702', '+61491574712']);
    const mobile = await post({ job_type: 'tts', message: 'hello', user_list_ids: [list], preferred_destination_type: 'Mobile' });
    expect(recipientsOf(mobile.json.data).map((x) => x.destination)).toEqual(['+61491574703', '+61491574712']);
  });

  it('ignores the recipients array when lists are given, as the seed says', async () => {
    const r = await post({ job_type: 'sms', message: 'x', user_list_ids: String(list), recipients: [{ destination: '+61491574999', reference: 'inline' }] });
    expect(r.status, r.text).toBe(200);
    expect(recipientsOf(r.json.data).map((x) => x.reference)).toEqual(['ref-1', 'ref-2']);
  });

  it('refuses a list with no number for the channel, naming what is missing, and stores nothing', async () => {
    const mailOnly = (await d.api('POST', '/groups', { auth: token, body: { name: 'mail only' } })).json as number;
    await d.api('POST', `/groups/${mailOnly}/csv`, { auth: token, raw: 'Email,Recipient\nx@example.com,X\n', headers: { 'content-type': 'text/csv' } });
    const jobs = (d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const r = await post({ job_type: 'sms', message: 'x', user_list_ids: mailOnly });
    expect(r.json).toEqual({ status: 422, errors: 'Validation failed: user_list_ids: the lists have no contacts with a phone or mobile number' });
    expect((d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(jobs);
  });

  it('refuses an upload whose header repeats a column or names none it knows', async () => {
    const again = await d.api('POST', `/groups/${list}/csv`, { auth: token, raw: 'Recipient,First Name,Phone\nA,B,+61491574721\n', headers: { 'content-type': 'text/csv' } });
    expect(again.status).toBe(412);
    expect(again.json.error.message).toMatch(/"First Name" repeats the column first_name/);
    const unknown = await d.api('POST', `/groups/${list}/csv`, { auth: token, raw: 'Phone,CustomField7\n+61491574721,x\n', headers: { 'content-type': 'text/csv' } });
    expect(unknown.status).toBe(412);
    expect(unknown.json.error.message).toMatch(/"CustomField7" is not a contact field/);
    const mobileBad = await d.api('POST', `/groups/${list}/csv`, { auth: token, raw: 'Mobile\nnot-a-number\n', headers: { 'content-type': 'text/csv' } });
    expect(mobileBad.json).toMatchObject({ imported: 0, rejected_total: 1, rejected: [{ error: expect.stringMatching(/^mobile: /) }] });
  });
});
