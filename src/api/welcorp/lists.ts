import type { ContactStore } from '../../store/contacts.js';
import type { Scope } from '../../store/users.js';
import type { NewRecipient } from '../../core/jobs.js';
import { contactRecipient } from '../../core/contact.js';

/**
 * The v1 API's user_list_ids → recipients: the contacts (with a phone) of those groups, which must be the
 * user's own; their fields are merge fields (%%first_name%%…). A message naming the first bad id otherwise.
 */
export function listRecipients(contacts: ContactStore, scope: Scope, ids: number[]): NewRecipient[] | string {
  const out: NewRecipient[] = [];
  const visible = new Set(contacts.groups.list(scope, {}).map((g) => g.id));
  for (const id of ids) {
    if (!visible.has(id)) return `list ${id} not found`;
    for (const c of contacts.members(id, 0, 10_000_000)) {
      if (!c.phone) continue;
      out.push({ destination: String(c.phone), reference: null, blackouts: null, ...contactRecipient(c) });
    }
  }
  return out;
}
