// A daemon sent one .docx on the v1 face (a fax job) and on the ICTCore face (a document's media);
// prints what each answered, the jobs stored and the document's type. test/api/fax.test.ts runs it
// where LibreOffice cannot be started (a plain script: it runs as a child, in a namespace of its own).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../dist/config/load.js';
import { startDaemon } from '../../dist/main.js';
import { UserStore } from '../../dist/store/users.js';

const dir = mkdtempSync(join(tmpdir(), 'switchpost-docx-'));
const d = await startDaemon(loadConfig({ env: {}, overrides: { data_dir: dir, http: { port: 0 }, log: { level: 'silent' } } }), { log: pino({ level: 'silent' }) });
try {
  new UserStore(d.db).add({ user_code: 'f', password: 'f-secret-pw', role: 'user', agent_id: null, timezone: 'Australia/Sydney', country: 'AU' });
  const docx = readFileSync(new URL('../fixtures/office/letter.docx', import.meta.url));
  const answer = async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() });
  const json = { 'content-type': 'application/json' };
  const v1 = await answer(
    await fetch(`${d.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { ...json, authorization: `Basic ${Buffer.from('f:f-secret-pw').toString('base64')}` },
      body: JSON.stringify({ job_type: 'fax', files: [{ name: 'letter.docx', base64content: docx.toString('base64') }], recipients: [{ destination: '+61491570156' }] }),
    }),
  );
  const { token } = await (await fetch(`${d.url}/authenticate`, { method: 'POST', headers: json, body: JSON.stringify({ username: 'f', password: 'f-secret-pw' }) })).json();
  const bearer = { authorization: `Bearer ${token}` };
  const doc = await (await fetch(`${d.url}/messages/documents`, { method: 'POST', headers: { ...bearer, ...json }, body: JSON.stringify({ name: 'letter' }) })).json();
  const ictcore = await answer(await fetch(`${d.url}/messages/documents/${doc}/media`, { method: 'PUT', headers: { ...bearer, 'content-type': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' }, body: docx }));
  const media = await (await fetch(`${d.url}/messages/documents/${doc}`, { headers: bearer })).json();
  console.log(JSON.stringify({ v1, ictcore, jobs: d.db.prepare('SELECT COUNT(*) AS n FROM jobs').get().n, documentType: media.type ?? null }));
} finally {
  await d.stop();
  rmSync(dir, { recursive: true, force: true });
}
