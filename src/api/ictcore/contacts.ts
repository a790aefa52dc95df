import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contact as contactAnswer } from './answers.js';
import { z } from 'zod';
import type { Ctx } from './context.js';
import type { IctcoreStores } from './context.js';
import type { Row } from '../../store/owned.js';
import { CONTACT_LIMITS, contactProblem, type ContactField } from '../../core/contact.js';
import { crudRoutes } from './crud.js';
import { idParam, seconds, text } from './fields.js';
import { SwitchpostError } from '../../core/errors.js';
import { ictDoc } from './route-docs.js';

const FIELDS = Object.keys(CONTACT_LIMITS) as ContactField[];
// Phones arrive as numbers too (the seed's example is 03001234567); a leading zero a JSON number lost
// cannot be recovered. Lengths are checked by contactProblem, naming the field.
const value = text(100_000);
const contactBody = z.object(Object.fromEntries(FIELDS.map((f) => [f, value])) as Record<ContactField, typeof value>);

export const presentContact = (r: Row) => ({
  contact_id: r.id,
  ...Object.fromEntries(FIELDS.map((f) => [f, r[f] ?? null])),
  created_by: r.user_id,
  date_created: seconds(r.created_at as number),
  last_updated: seconds(r.updated_at as number),
});

/** Contacts: CRUD (ICTCore's Contact), and linking to groups. */
export function contactRoutes(app: FastifyInstance, ctx: Ctx, stores: Pick<IctcoreStores, 'contacts' | 'contactRows' | 'groupRows'>): void {
  const { contacts: store, contactRows, groupRows } = stores;
  const checked = (isNew: boolean) =>
    contactBody.transform((c, zc) => {
      const values = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Record<string, string | null>;
      const problem = contactProblem(values, isNew);
      if (problem) {
        const [path, ...rest] = problem.split(': ');
        zc.addIssue({ code: 'custom', path: [path!], message: rest.join(': ') });
        return z.NEVER;
      }
      return values;
    });
  crudRoutes(app, ctx, {
    path: '/contacts',
    what: 'contact',
    perm: 'contact',
    store: contactRows,
    create: checked(true),
    update: checked(false),
    filters: { contact_id: 'id', ...Object.fromEntries(FIELDS.map((f) => [f, f])) },
    present: presentContact,
    answer: contactAnswer,
    // A contact's group links go with it.
    remove: (id) => store.deleteContact(id),
  });

  const link = (add: boolean) => async (req: FastifyRequest) => {
    await ctx.authorize(req, 'contact_update');
    const p = req.params as { id: string; group_id: string };
    const contact = await ctx.own(req, await contactRows.get(idParam(p.id, 'contact')), `contact ${p.id}`);
    const group = await ctx.own(req, await groupRows.get(idParam(p.group_id, 'group')), `group ${p.group_id}`);
    if (add) await store.link(group.id, contact.id);
    else if (!(await store.unlink(group.id, contact.id))) throw new SwitchpostError('not_found', `contact ${contact.id} is not in group ${group.id}`);
    return presentContact(contact);
  };
  app.put('/contacts/:id/link/:group_id', ictDoc('Add a contact to a group', { answer: contactAnswer }), link(true));
  app.delete('/contacts/:id/link/:group_id', ictDoc('Take a contact out of a group', { answer: contactAnswer }), link(false));
  app.get('/contacts/:id/link/:group_id/delete', ictDoc('Take a contact out of a group (GET)', { answer: contactAnswer }), link(false));
}
