import type { StoreDb } from './store-db.js';
import { UserStore } from './users.js';
import { PermissionStore } from './permissions.js';
import { JobStore } from './jobs.js';
import { ContactStore } from './contacts.js';
import { CompanyStore } from './companies.js';
import { CallbackStore } from './callbacks.js';
import { VerificationStore } from './verification.js';
import { SessionStore } from './sessions.js';
import { MessageStore, type MessageKind } from './messages.js';
import { programStore } from './programs.js';
import { AccountStore } from './accounts.js';
import { campaignStore } from './campaigns.js';
import { TransmissionStore } from './transmissions.js';
import { ProviderStore } from './providers.js';
import { ScheduleStore } from './schedules.js';
import { ReplyStore } from './replies.js';
import { SpoolGauges } from './spool-gauges.js';
import { MailSenderStore } from './mail-senders.js';
import { HolderStore } from './holders.js';
import type { OwnedRows } from './owned.js';
import { remote, type Remote, type StoreChannel } from './remote.js';

/** Every store a face is handed, by the name it is served under on the engine's thread. */
export interface FaceStores {
  users: UserStore;
  permissions: PermissionStore;
  jobs: JobStore;
  contacts: ContactStore;
  'contacts.contacts': OwnedRows;
  'contacts.groups': OwnedRows;
  companies: CompanyStore;
  callbacks: CallbackStore;
  verification: VerificationStore;
  sessions: SessionStore;
  'messages.document': OwnedRows;
  'messages.recording': OwnedRows;
  'messages.template': OwnedRows;
  'messages.text': OwnedRows;
  programs: OwnedRows;
  accounts: AccountStore;
  'accounts.rows': OwnedRows;
  campaigns: OwnedRows;
  transmissions: TransmissionStore;
  providers: ProviderStore;
  schedules: ScheduleStore;
  replies: ReplyStore;
  /** Who may send e-mail to fax (the SMTP front's). */
  mailSenders: MailSenderStore;
  /** Not a face's: the spool's levels the metrics read at each scrape. */
  gauges: SpoolGauges;
  /** Not a face's: which providers' slots this node holds, when several share the store (main.ts's heartbeat). */
  holders: HolderStore;
}

/** The stores on one connection (the engine's thread builds them once). */
export function faceStores(db: StoreDb, defaultCountry: string): FaceStores {
  const messages = new MessageStore(db);
  const accounts = new AccountStore(db);
  const contacts = new ContactStore(db);
  return {
    users: new UserStore(db),
    permissions: new PermissionStore(db),
    jobs: new JobStore(db),
    contacts,
    'contacts.contacts': contacts.contacts,
    'contacts.groups': contacts.groups,
    companies: new CompanyStore(db),
    callbacks: new CallbackStore(db),
    verification: new VerificationStore(db),
    sessions: new SessionStore(db),
    ...(Object.fromEntries((Object.keys(messages.kinds) as MessageKind[]).map((k) => [`messages.${k}`, messages.kinds[k]])) as Pick<FaceStores, `messages.${MessageKind}`>),
    programs: programStore(db),
    accounts,
    'accounts.rows': accounts.rows,
    campaigns: campaignStore(db),
    transmissions: new TransmissionStore(db),
    providers: new ProviderStore(db),
    schedules: new ScheduleStore(db),
    replies: new ReplyStore(db, defaultCountry),
    mailSenders: new MailSenderStore(db),
    gauges: new SpoolGauges(db),
    holders: new HolderStore(db),
  };
}

export type RemoteStores = { readonly [K in keyof FaceStores]: Remote<FaceStores[K]> };

/** The faces' stores as the main thread holds them: each call a message to the engine's thread. */
export function remoteStores(channel: StoreChannel): RemoteStores {
  const owned = (name: keyof FaceStores) => remote<OwnedRows>(channel, name, ['pages']);
  return {
    users: remote<UserStore>(channel, 'users', ['pages']),
    permissions: remote<PermissionStore>(channel, 'permissions'),
    jobs: remote<JobStore>(channel, 'jobs', ['reportPages', 'recipientPages']),
    contacts: remote<ContactStore>(channel, 'contacts', ['memberPages']),
    'contacts.contacts': owned('contacts.contacts'),
    'contacts.groups': owned('contacts.groups'),
    companies: remote<CompanyStore>(channel, 'companies'),
    callbacks: remote<CallbackStore>(channel, 'callbacks'),
    verification: remote<VerificationStore>(channel, 'verification'),
    sessions: remote<SessionStore>(channel, 'sessions'),
    'messages.document': owned('messages.document'),
    'messages.recording': owned('messages.recording'),
    'messages.template': owned('messages.template'),
    'messages.text': owned('messages.text'),
    programs: owned('programs'),
    accounts: remote<AccountStore>(channel, 'accounts'),
    'accounts.rows': owned('accounts.rows'),
    campaigns: owned('campaigns'),
    transmissions: remote<TransmissionStore>(channel, 'transmissions', ['pages']),
    providers: remote<ProviderStore>(channel, 'providers'),
    schedules: remote<ScheduleStore>(channel, 'schedules'),
    replies: remote<ReplyStore>(channel, 'replies'),
    mailSenders: remote<MailSenderStore>(channel, 'mailSenders'),
    gauges: remote<SpoolGauges>(channel, 'gauges'),
    holders: remote<HolderStore>(channel, 'holders'),
  };
}
