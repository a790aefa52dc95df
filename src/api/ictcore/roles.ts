import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { permissions, role, roleDetail } from './answers.js';
import { ROLE_IDS, roleAllows, PERMISSIONS } from '../../core/permissions.js';
import type { Role } from '../../core/model.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictcorePermissionId, permissionList } from './permission-ids.js';
import { filterValue, idParam } from './fields.js';
import type { Ctx } from './context.js';
import { ictDoc } from './route-docs.js';

/** Each role's description: ICTCore's own for admin and user (db/data/role_*.sql), the daemon's for its reseller role. */
const DESCRIPTIONS: Record<Role, string> = { admin: 'system administrator', agent: 'reseller: its own users and providers', user: 'authorized user' };

const FIXED = 'the roles are fixed (1 admin, 2 agent, 3 user); change what one user may do with PUT|DELETE /users/{id}/permissions/{permission_id}';

/** ICTCore's search filters on these lists: the id exactly, the name as a prefix (`name LIKE 'value%'`); others are ignored. */
function matches(query: unknown, idField: string, id: number, name: string): boolean {
  const q = (query ?? {}) as Record<string, unknown>;
  if (q[idField] !== undefined && filterValue(idField, q[idField], 'whole') !== String(id)) return false;
  if (q.name !== undefined && !name.toLowerCase().startsWith(filterValue('name', q.name).toLowerCase())) return false;
  return true;
}

/**
 * ICTCore's role and permission APIs (core/Api/User/RoleApi.php, PermissionApi.php) over the daemon's
 * three fixed roles: listed and read as ICTCore answers them; a role's permissions are what the role
 * allows before any user's exceptions, by ICTCore's ids. Roles cannot be made, changed or removed here
 * (403, a refusal the client should not retry, not a server fault): every face's checks are the roles
 * of core/permissions.ts.
 */
export function roleRoutes(app: FastifyInstance, ctx: Ctx): void {
  const roles = () => Object.entries(ROLE_IDS).map(([id, name]) => ({ role_id: Number(id), name }));

  app.get('/roles', ictDoc('List the roles', { answer: z.array(role) }), async (req) => {
    await ctx.authorize(req, 'user_role');
    return roles().filter((r) => matches(req.query, 'role_id', r.role_id, r.name));
  });
  app.get('/roles/:role_id', ictDoc('A role with its permissions', { answer: roleDetail }), async (req) => {
    await ctx.authorize(req, 'user_role');
    const id = idParam((req.params as { role_id: string }).role_id, 'role');
    const role = ROLE_IDS[id];
    if (!role) throw new SwitchpostError('not_found', `role ${id} not found`);
    const allowed = PERMISSIONS.filter((p) => roleAllows(role, p));
    return { role_id: id, name: role, description: DESCRIPTIONS[role], permissions: allowed.map((p) => ({ permission_id: ictcorePermissionId(p), name: p })) };
  });
  const fixed = async (req: FastifyRequest) => {
    await ctx.authorize(req, 'user_role');
    throw new SwitchpostError('forbidden', FIXED);
  };
  app.post('/roles', ictDoc('Create a role (403: the roles are fixed)', {}, { alwaysRefused: true }), fixed);
  app.put('/roles/:role_id', ictDoc('Change a role (403: the roles are fixed)', {}, { alwaysRefused: true }), fixed);
  app.delete('/roles/:role_id', ictDoc('Delete a role (403: the roles are fixed)', {}, { alwaysRefused: true }), fixed);
  app.put('/roles/:role_id/permissions/:permission_id', ictDoc('Give a role a permission (403: the roles are fixed)', {}, { alwaysRefused: true }), fixed);
  app.delete('/roles/:role_id/permissions/:permission_id', ictDoc('Take a permission from a role (403: the roles are fixed)', {}, { alwaysRefused: true }), fixed);

  app.get('/permissions', ictDoc('List the permissions', { answer: permissions }), async (req) => {
    await ctx.authorize(req, 'user_permission');
    return permissionList().filter((p) => matches(req.query, 'permission_id', p.permission_id, p.name));
  });
  app.post('/permissions', ictDoc('Add a permission (403: the permissions are the ones the daemon checks)', {}, { alwaysRefused: true }), async (req) => {
    await ctx.authorize(req, 'user_permission');
    throw new SwitchpostError('forbidden', 'permissions are the ones the daemon checks; they cannot be added');
  });
}
