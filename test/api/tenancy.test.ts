import { afterEach, describe, expect, it } from 'vitest';
import { testDaemon, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon | undefined;
afterEach(async () => {
  await d?.close();
  d = undefined;
});

describe('one core, several faces', () => {
  it('shows a job made on one face on another only to users allowed to see it', async () => {
    d = await testDaemon();
    const agent = d.addUser('agent1', 'agent');
    const owner = d.addUser('owner', 'user', { agent: agent.id });
    const stranger = d.addUser('stranger', 'user');
    const admin = d.addUser('root', 'admin');
    const retarus = await d.api('POST', '/rest/v1/jobs', { auth: owner.auth, body: { options: { customerRef: 'from retarus' }, messages: [{ text: 'hi', recipients: [{ dst: '+61491570156' }] }] } });
    expect(retarus.status).toBe(201);
    const jobId = (d.db.prepare('SELECT id FROM jobs WHERE external_id = ?').get(retarus.json.jobId) as { id: number }).id;
    const names = async (auth: string) => ((await d!.api('GET', '/api/v1/jobs', { auth })).json.data as { job_id: number; job_name: string }[]).map((j) => [j.job_id, j.job_name]);
    expect(await names(owner.auth)).toEqual([[jobId, 'from retarus']]);
    expect(await names(agent.auth)).toEqual([[jobId, 'from retarus']]);
    expect(await names(admin.auth)).toEqual([[jobId, 'from retarus']]);
    expect(await names(stranger.auth)).toEqual([]);
    expect((await d.api('GET', `/api/v1/jobs/${jobId}`, { auth: stranger.auth })).status).toBe(403);
    expect((await d.api('GET', `/rest/v1/jobs/${retarus.json.jobId}`, { auth: stranger.auth })).status).toBe(400); // Retarus: "Unknown job-id", as for a job that does not exist
    expect((await d.api('GET', `/rest/v1/jobs/${retarus.json.jobId}`, { auth: agent.auth })).status).toBe(200);
    // And a v1 job is not a Retarus job: it has no Retarus id to list.
    await d.api('POST', '/api/v1/jobs', { auth: owner.auth, body: { job_type: 'sms', message: 'x', recipients: [{ destination: '+61491570156' }] } });
    expect((await d.api('GET', '/rest/v1/jobs', { auth: owner.auth })).json).toEqual([{ jobId: retarus.json.jobId }]);
  });
});
