import type { FastifyRequest } from 'fastify';
import type { PermissionStore } from '../store/permissions.js';
import type { Remote } from '../store/remote.js';
import type { Permission } from '../core/permissions.js';

/** "METHOD /path" (the face's route pattern, without its prefix) → the permission it needs. */
export type RoutePermissions = Readonly<Record<string, Permission>>;

/**
 * The permission `user` lacks for this request, or null. Every face checks the same permissions (set
 * through the ICTCore face's /users/{id}/roles and /permissions), each answering in its own format.
 */
export async function missingPermission(perms: Remote<PermissionStore>, user: { id: number; role: 'admin' | 'agent' | 'user' }, req: FastifyRequest, prefix: string, map: RoutePermissions): Promise<Permission | null> {
  const route = (req.routeOptions.url ?? '').slice(prefix.length) || '/';
  const p = map[`${req.method} ${route}`];
  return p && !(await perms.can(user, p)) ? p : null;
}
