import { isPermission, PERMISSIONS, permissionById, permissionId, type Permission } from '../../core/permissions.js';

/**
 * ICTCore's permissions as its database numbers them: db/database.sql inserts these in this order
 * into an auto_increment table, so each one's id is its place here (api 1 … campaign_admin 107).
 * A name without `_` is a parent: ICTCore's User::authorize grants every `name_…` to its holder.
 */
const ICTCORE_PERMISSIONS: readonly string[] = [
  'api',
  'api_access',
  'statistic',
  'statistic_read',
  'statistic_admin',
  'configuration',
  'configuration_read',
  'configuration_write',
  'program',
  'program_create',
  'program_list',
  'program_read',
  'program_delete',
  'program_execute',
  'program_admin',
  'transmission',
  'transmission_create',
  'transmission_list',
  'transmission_read',
  'transmission_update',
  'transmission_delete',
  'transmission_send',
  'transmission_admin',
  'task',
  'task_create',
  'task_read',
  'task_list',
  'task_delete',
  'task_admin',
  'schedule',
  'schedule_create',
  'schedule_read',
  'schedule_list',
  'schedule_delete',
  'schedule_admin',
  'spool',
  'spool_read',
  'spool_list',
  'spool_admin',
  'result',
  'result_read',
  'result_list',
  'result_admin',
  'provider',
  'provider_create',
  'provider_list',
  'provider_read',
  'provider_update',
  'provider_delete',
  'provider_admin',
  'contact',
  'contact_create',
  'contact_list',
  'contact_read',
  'contact_update',
  'contact_delete',
  'contact_admin',
  'group',
  'group_create',
  'group_list',
  'group_read',
  'group_update',
  'group_delete',
  'group_admin',
  'account',
  'account_create',
  'account_list',
  'account_read',
  'account_update',
  'account_delete',
  'account_admin',
  'user',
  'user_create',
  'user_list',
  'user_read',
  'user_password',
  'user_update',
  'user_delete',
  'user_admin',
  'usr',
  'usr_create',
  'usr_list',
  'usr_read',
  'usr_password',
  'usr_update',
  'usr_delete',
  'usr_admin',
  'role',
  'role_create',
  'role_list',
  'role_read',
  'role_update',
  'role_delete',
  'permission',
  'permission_create',
  'permission_read',
  'permission_list',
  'permission_delete',
  'campaign',
  'campaign_create',
  'campaign_list',
  'campaign_read',
  'campaign_update',
  'campaign_delete',
  'campaign_start',
  'campaign_stop',
  'campaign_admin',
];

/**
 * The permissions of ICTCore's message modules (db/sms.sql, voice.sql, fax.sql, email.sql): text_*,
 * recording_*, document_*, template_* are the daemon's message_*. Their ids depend on the order the
 * modules were installed in, so they are taken by name only.
 */
const MESSAGE_KINDS = ['text', 'recording', 'document', 'template'];

/** Ids for the daemon's permissions that ICTCore's core list lacks (message_*, user_role, user_permission). */
const OWN_BASE = 1000;

/** A permission's id as ICTCore numbers it, or 1000 + its place in the daemon's list when ICTCore's has none. */
export function ictcorePermissionId(p: Permission): number {
  const i = ICTCORE_PERMISSIONS.indexOf(p);
  return i >= 0 ? i + 1 : OWN_BASE + permissionId(p);
}

/**
 * Every permission as `GET /permissions` lists it (ICTCore's Permission::search: permission_id and name):
 * ICTCore's core list by its ids, then the daemon's own names that list lacks, at 1000 + their place.
 */
export function permissionList(): { permission_id: number; name: string }[] {
  const own = PERMISSIONS.filter((p) => !ICTCORE_PERMISSIONS.includes(p)).map((p) => ({ permission_id: OWN_BASE + permissionId(p), name: p }));
  return [...ICTCORE_PERMISSIONS.map((name, i) => ({ permission_id: i + 1, name })), ...own];
}

/**
 * The daemon's permissions an ICTCore permission id or name stands for: itself, a parent's children
 * (`contact` → contact_create … contact_delete), a message module's (`text_read` → message_read). An
 * empty list: ICTCore knows it, the daemon checks nothing by it; null: unknown.
 */
export function permissionsOf(raw: string): Permission[] | null {
  let name: string | undefined = raw.toLowerCase();
  if (/^\d+$/.test(raw)) {
    const id = Number(raw);
    name = id > OWN_BASE ? permissionById(id - OWN_BASE) : ICTCORE_PERMISSIONS[id - 1];
    if (name === undefined) return null;
  }
  const [head, ...rest] = name.split('_');
  if (MESSAGE_KINDS.includes(head!)) name = ['message', ...rest].join('_');
  if (isPermission(name)) return [name];
  if (!name.includes('_')) {
    const children = PERMISSIONS.filter((p) => p.startsWith(`${name}_`));
    if (children.length > 0 || ICTCORE_PERMISSIONS.includes(name)) return children;
  }
  return ICTCORE_PERMISSIONS.includes(name) ? [] : null;
}
