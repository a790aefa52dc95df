import type { ContactStore } from '../../store/contacts.js';
import type { Scope } from '../../store/users.js';
import type { NewRecipient } from '../../core/jobs.js';

/**
 * The v1 API's user_list_ids → recipients: the contacts (with a phone) of those groups, which must be the
 * user's own; their fields are merge fields (%%first_name%%…). A message naming the first bad id otherwise.
 */
export function listRecipients(contacts: ContactStore, scope: Scope, ids: number[]): NewRecipient[] | string {
  const out: NewRecipient[] = [];
  for (const id of ids) {
    if (contacts.groups.list(scope, { id: String(id) }).length === 0) return `list ${id} not found`;
    out.push(...contacts.recipientsOf(id));
  }
  return out;
}
