import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDaemon, bearer, type TestDaemon } from '../helpers/daemon.js';

let d: TestDaemon;
let admin: string;
let agent: string;

beforeAll(async () => {
  d = await testDaemon();
  d.addUser('root', 'admin', { password: 'root-secret' });
  d.addUser('reseller', 'agent', { password: 'reseller-secret' });
  admin = await bearer(d, 'root', 'root-secret');
  agent = await bearer(d, 'reseller', 'reseller-secret');
});
afterAll(() => d.close());

describe("ICTCore face: /roles and /permissions as ICTCore's RoleApi and PermissionApi answer", () => {
  it('lists the roles with their ids and filters them as ICTCore searches', async () => {
    const all = await d.api('GET', '/roles', { auth: admin });
    expect(all.status, all.text).toBe(200);
    expect(all.json).toEqual([
      { role_id: 1, name: 'admin' },
      { role_id: 2, name: 'agent' },
      { role_id: 3, name: 'user' },
    ]);
    // name is a prefix (LIKE 'value%'), role_id exact; the fields ICTCore's client adds are ignored.
    expect((await d.api('GET', '/roles?name=ad&service_flag=1', { auth: admin })).json).toEqual([{ role_id: 1, name: 'admin' }]);
    expect((await d.api('GET', '/roles?role_id=3', { auth: admin })).json).toEqual([{ role_id: 3, name: 'user' }]);
    expect((await d.api('GET', '/roles?role_id=x', { auth: admin })).status).toBe(412);
    // Served at /api too.
    expect((await d.api('GET', '/api/roles', { auth: admin })).json).toHaveLength(3);
  });

  it("reads a role with what it allows, by ICTCore's permission ids", async () => {
    const user = await d.api('GET', '/roles/3', { auth: admin });
    expect(user.json).toMatchObject({ role_id: 3, name: 'user', description: 'authorized user' });
    const names = (user.json.permissions as { permission_id: number; name: string }[]).map((p) => p.name);
    expect(names).toContain('transmission_create');
    expect(names).not.toContain('user_create'); // an agent's and the admin's, not a user's
    expect(user.json.permissions).toContainEqual({ permission_id: 17, name: 'transmission_create' });
    const adminRole = await d.api('GET', '/roles/1', { auth: admin });
    expect(adminRole.json.permissions.length).toBeGreaterThan(names.length);
    expect((await d.api('GET', '/roles/9', { auth: admin })).status).toBe(404);
    expect((await d.api('GET', '/roles/abc', { auth: admin })).status).toBe(404);
  });

  it("lists the permissions by ICTCore's numbering, the daemon's own after 1000", async () => {
    const r = await d.api('GET', '/permissions', { auth: admin });
    expect(r.status).toBe(200);
    const list = r.json as { permission_id: number; name: string }[];
    expect(list[0]).toEqual({ permission_id: 1, name: 'api' });
    expect(list).toContainEqual({ permission_id: 17, name: 'transmission_create' });
    expect(list).toContainEqual({ permission_id: 107, name: 'campaign_admin' });
    expect(list.find((p) => p.name === 'user_role')!.permission_id).toBeGreaterThan(1000);
    expect(new Set(list.map((p) => p.permission_id)).size).toBe(list.length);
    expect((await d.api('GET', '/permissions?name=campaign_st', { auth: admin })).json.map((p: { name: string }) => p.name)).toEqual(['campaign_start', 'campaign_stop']);
    // Every id listed is one the user permission API takes.
    expect((await d.api('PUT', `/users/1/permissions/${list.find((p) => p.name === 'contact_read')!.permission_id}`, { auth: admin })).status).toBe(200);
  });

  it('keeps the roles fixed and the lists for administrators', async () => {
    const made = await d.api('POST', '/roles', { auth: admin, body: { name: 'supervisor' } });
    expect(made.status).toBe(403);
    expect(made.json.error.message).toMatch(/roles are fixed/);
    expect((await d.api('PUT', '/roles/3/permissions/17', { auth: admin })).status).toBe(403);
    expect((await d.api('GET', '/roles', { auth: admin })).json).toHaveLength(3);
    expect((await d.api('GET', '/roles', { auth: agent })).status).toBe(403);
    expect((await d.api('GET', '/permissions', { auth: agent })).status).toBe(403);
    expect((await d.api('POST', '/roles', { auth: agent, body: {} })).status).toBe(403);
  });
});
