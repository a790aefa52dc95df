import type { ContactStore } from '../../store/contacts.js';
import type { OwnedRows } from '../../store/owned.js';
import type { Remote } from '../../store/remote.js';
import type { Scope } from '../../store/users.js';
import type { NewRecipient } from '../../core/jobs.js';

/** The address book as the v1 face reads it: its groups (ownership) and their members. */
export interface ListStores {
  groups: Remote<OwnedRows>;
  contacts: Remote<ContactStore>;
}

/**
 * The v1 API's user_list_ids → recipients: the contacts (with a phone, or for e-mail an address) of those groups, which must be the
 * user's own; their fields are merge fields (%%first_name%%…). A message naming the first bad id otherwise.
 */
export async function listRecipients(stores: ListStores, scope: Scope, ids: number[], by: 'phone' | 'email' = 'phone'): Promise<NewRecipient[] | string> {
  const out: NewRecipient[] = [];
  // One after another: the first bad id is the one named.
  for (const id of ids) {
    if ((await stores.groups.list(scope, { id: String(id) })).length === 0) return `list ${id} not found`;
    // Two calls now, not one read: a group deleted between them gives no contacts (as if it were read after).
    out.push(...(await stores.contacts.recipientsOf(id, by)));
  }
  return out;
}
