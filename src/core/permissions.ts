import type { Role } from './model.js';

/**
 * Permissions, by ICTCore's names (its API checks `_authorize('contact_create')`…). Their ids are their
 * positions here, 1-based: append only, never reorder. Every face checks the same names.
 */
export const PERMISSIONS = [
  'contact_create',
  'contact_list',
  'contact_read',
  'contact_update',
  'contact_delete',
  'group_create',
  'group_list',
  'group_read',
  'group_update',
  'group_delete',
  'campaign_create',
  'campaign_list',
  'campaign_read',
  'campaign_update',
  'campaign_delete',
  'campaign_start',
  'campaign_stop',
  'transmission_create',
  'transmission_list',
  'transmission_read',
  'transmission_delete',
  'transmission_send',
  'transmission_update',
  'spool_read',
  'result_read',
  'task_create',
  'task_delete',
  'program_create',
  'program_list',
  'program_read',
  'program_delete',
  'message_create',
  'message_list',
  'message_read',
  'message_update',
  'message_delete',
  'account_create',
  'account_list',
  'account_read',
  'account_update',
  'account_delete',
  'user_create',
  'user_list',
  'user_read',
  'user_update',
  'user_delete',
  'user_role',
  'user_permission',
  'provider_create',
  'provider_list',
  'provider_read',
  'provider_update',
  'provider_delete',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const permissionId = (p: Permission): number => PERMISSIONS.indexOf(p) + 1;
export const permissionById = (id: number): Permission | undefined => PERMISSIONS[id - 1];
export const isPermission = (s: string): s is Permission => (PERMISSIONS as readonly string[]).includes(s);

/** ICTCore's role ids, mapped onto the daemon's three roles. */
export const ROLE_IDS: Record<number, Role> = { 1: 'admin', 2: 'agent', 3: 'user' };
export const roleId = (r: Role): number => Number(Object.entries(ROLE_IDS).find(([, v]) => v === r)![0]);

/**
 * What each role may do before per-user exceptions. Agents (resellers) also create and delete users and
 * manage their own trunks; a user reads and updates only itself (tenancy, not permission, limits that).
 */
const ADMIN_ONLY: ReadonlySet<Permission> = new Set(['user_role', 'user_permission']);
const AGENT_ALSO: ReadonlySet<Permission> = new Set(['user_create', 'user_delete', 'provider_create', 'provider_update', 'provider_delete']);

export function roleAllows(role: Role, p: Permission): boolean {
  if (role === 'admin') return true;
  if (ADMIN_ONLY.has(p)) return false;
  if (role === 'agent') return true;
  return !AGENT_ALSO.has(p);
}

/** The role's answer, changed by the user's own exceptions (permission → granted). */
export function allows(role: Role, exceptions: ReadonlyMap<string, boolean>, p: Permission): boolean {
  return exceptions.get(p) ?? roleAllows(role, p);
}
