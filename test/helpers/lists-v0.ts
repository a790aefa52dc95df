// The big lists of the Retarus and ICTCore faces as their routes built them whole before they were
// streamed (issue 14; c502f7a: src/api/retarus/present.ts, src/api/ictcore/{groups,transmissions}.ts;
// 4cc4c27: src/api/ictcore/users.ts),
// kept verbatim as the reference the streamed bodies must equal byte for byte.
import { DateTime } from 'luxon';
import type { JobRow } from '../../dist/store/jobs.js';
import type { Row } from '../../dist/store/owned.js';
import type { TransmissionRow } from '../../dist/store/transmissions.js';
import type { UserRow } from '../../dist/store/users.js';
import { isPermission, roleId } from '../../dist/core/permissions.js';
// Since issue 18 (the changes to the reference): permission ids, country and timezone ids as ICTCore numbers them.
import { ictcorePermissionId } from '../../dist/api/ictcore/permission-ids.js';
import { numericOfAlpha2 } from '../../dist/core/country-numbers.js';
import { ictcoreIdOfZone } from '../../dist/api/ictcore/timezones.js';
import { smsId } from '../../dist/api/retarus/present.js';
import { presentContact } from '../../dist/api/ictcore/contacts.js';
import { SERVICE_FLAG } from '../../dist/api/ictcore/programs.js';
import { transmissionStatus } from '../../dist/api/ictcore/transmissions.js';
import { seconds } from '../../dist/api/ictcore/fields.js';

const ts = (ms: number | null, zone: string): string | undefined => (ms === null ? undefined : (DateTime.fromMillis(ms, { zone }).toISO() ?? undefined));

/** Retarus GET /jobs/{jobId}: jobReport(job, recipients(job.id).map((r) => r.id)). */
export function retarusJobReportV0(job: JobRow, recipientIds: number[]) {
  const o = JSON.parse(job.options) as Record<string, unknown>;
  const pick = (k: string) => (o[k] === undefined ? {} : { [k]: o[k] });
  return {
    jobId: job.external_id,
    ...pick('src'),
    encoding: o.encoding ?? 'standard',
    ...pick('billcode'),
    statusRequested: o.statusRequested ?? false,
    flash: o.flash ?? false,
    ...pick('validityMin'),
    ...pick('customerRef'),
    qos: o.qos ?? 'NORMAL',
    receiptTs: ts(job.created_at, job.timezone),
    ...(job.completed_at !== null ? { finishedTs: ts(job.completed_at, job.timezone) } : {}),
    recipientIds: recipientIds.map((id) => smsId(job, id)),
  };
}

export type { RecipientRow };

/** ICTCore GET /groups: a group as groupRoutes presented it. */
export const groupV0 = (groupSize: (id: number) => number) => (r: Row) => ({
  group_id: r.id,
  name: r.name,
  description: r.description ?? null,
  contact_total: groupSize(r.id),
  created_by: r.user_id,
  date_created: seconds(r.created_at as number),
});

/** ICTCore's transmission as transmissionRoutes presented it. */
export const transmissionV0 = (t: TransmissionRow, options = JSON.parse(t.options) as Record<string, unknown>) => ({
  transmission_id: t.id,
  title: options.title ?? null,
  origin: options.origin ?? null,
  service_flag: SERVICE_FLAG[t.channel],
  account_id: t.account_id,
  contact_id: t.contact_id,
  program_id: t.program_id,
  campaign_id: t.campaign_id,
  phone: t.destination,
  direction: options.direction ?? 'outbound',
  status: transmissionStatus(t.state),
  response: t.reason ?? '',
  try_allowed: typeof options.tries === 'number' ? options.tries : null,
  try_done: t.tries,
  last_run: seconds(t.sent_at),
  date_created: seconds(t.created_at),
});

/** ICTCore GET /transmissions: each with its contact and account objects. */
export function transmissionListV0(rows: TransmissionRow[], contact: (id: number) => Row | undefined, account: (id: number) => Row | undefined) {
  return rows.map((t) => {
    const c = t.contact_id !== null ? contact(t.contact_id) : undefined;
    const a = t.account_id !== null ? account(t.account_id) : undefined;
    return {
      ...transmissionV0(t),
      contact: t.contact_id !== null ? (c ? presentContact(c) : null) : null,
      account: t.account_id !== null ? (a ? { account_id: a.id, username: a.username, phone: a.phone ?? null, email: a.email ?? null } : null) : null,
    };
  });
}

/** ICTCore GET /groups/{id}/csv as ICTCore writes it (GroupApi::export_csv): no header, phone first, every field quoted, LF. */
const ICTCORE_COLUMNS = ['phone', 'first_name', 'last_name', 'email', 'address', 'custom1', 'custom2', 'custom3', 'description'];
const quoted = (values: unknown[]): string => values.map((v) => `"${(v === null || v === undefined ? '' : String(v)).replace(/"/g, '""')}"`).join(',') + '\n';
export const groupCsvV0 = (members: Row[]): string => members.map((c) => quoted(ICTCORE_COLUMNS.map((f) => c[f]))).join('');

/**
 * ICTCore GET /users as userRoutes built it whole before it was streamed (issue 14; 4cc4c27:
 * src/api/ictcore/users.ts): the first 100,000 users the scope sees, filtered in memory, presented.
 */
export function userListV0(rows: UserRow[], f: Record<string, string>, exceptions: (id: number) => ReadonlyMap<string, boolean>) {
  const present = (u: UserRow) => {
    const profile = JSON.parse(u.profile) as Record<string, unknown>;
    return {
      user_id: u.id,
      username: u.user_code,
      first_name: u.first_name,
      last_name: u.last_name,
      phone: u.phone,
      email: u.email,
      address: (profile.address as string | undefined) ?? null,
      company: (profile.company as string | undefined) ?? null,
      country_id: numericOfAlpha2(u.country) ?? u.country,
      country: u.country,
      timezone_id: ictcoreIdOfZone(u.timezone) ?? u.timezone,
      timezone: u.timezone,
      active: u.active,
      role_id: roleId(u.role),
      role: u.role,
      permissions: [...exceptions(u.id)].map(([p, granted]) => ({ permission_id: isPermission(p) ? ictcorePermissionId(p) : null, name: p, granted })),
      created_by: u.agent_id,
      date_created: seconds(u.created_at),
    };
  };
  return rows.filter((u) => Object.entries(f).every(([k, v]) => String(u[k as keyof UserRow]) === v)).map(present);
}
