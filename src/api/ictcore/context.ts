import type { FastifyRequest } from 'fastify';
import type { BasicAuth } from '../auth.js';
import type { UserRow, UserStore, Scope } from '../../store/users.js';
import type { PermissionStore } from '../../store/permissions.js';
import type { JobStore } from '../../store/jobs.js';
import type { Clock } from '../../core/clock.js';
import type { Channel } from '../../core/model.js';
import type { Permission } from '../../core/permissions.js';
import type { OwnedRows, Row } from '../../store/owned.js';
import type { ContactStore } from '../../store/contacts.js';
import type { MessageKind } from '../../store/messages.js';
import type { AccountStore } from '../../store/accounts.js';
import type { TransmissionStore } from '../../store/transmissions.js';
import type { ProviderStore } from '../../store/providers.js';
import type { Schedules } from '../../spool/schedules.js';
import type { Tokens } from './token.js';
import type { Logins } from '../login-limiter.js';
import type { AddressPolicy } from '../../net/address-policy.js';
import type { Remote } from '../../store/remote.js';
import { SwitchpostError } from '../../core/errors.js';

/**
 * The tables the ICTCore face reads and writes, each through its store on the spool engine's thread
 * (no face is handed the database). A store's tables of rows are remotes of their own.
 */
export interface IctcoreStores {
  contacts: Remote<ContactStore>;
  /** ContactStore's contacts and groups. */
  contactRows: Remote<OwnedRows>;
  groupRows: Remote<OwnedRows>;
  /** MessageStore's kinds. */
  messages: Record<MessageKind, Remote<OwnedRows>>;
  programs: Remote<OwnedRows>;
  accounts: Remote<AccountStore>;
  /** AccountStore's rows. */
  accountRows: Remote<OwnedRows>;
  campaigns: Remote<OwnedRows>;
  transmissions: Remote<TransmissionStore>;
  providers: Remote<ProviderStore>;
}

/** What the ICTCore face needs from the daemon. */
export interface IctcoreDeps {
  stores: IctcoreStores;
  /** Armed and stopped by main; the face adds and cancels schedules and says what they do. */
  schedules: Schedules;
  users: Remote<UserStore>;
  /** The one instance every face uses: its per-user cache must be the one that is told. */
  permissions: Remote<PermissionStore>;
  jobs: Remote<JobStore>;
  tokens: Tokens;
  /** POST /authenticate checks passwords here (limited, off the event loop). */
  logins: Logins;
  /** HTTP Basic credentials on any call, as ICTCore takes them beside its token (the other faces' checker). */
  basic: BasicAuth;
  clock: Clock;
  dataDir: string;
  defaultTimezone: string;
  defaultCountry: string;
  channels: ReadonlySet<Channel>;
  onJobCreated: (jobId: number, userId: number, channel: Channel, total: number) => void;
  /** Wake the dispatcher: queued work became due. */
  wake: () => void;
  /** A user's password, name or state changed: forget remembered credentials (Basic auth faces). */
  credentialsChanged: () => void;
  /** The addresses a provider that is not an administrator's may use (agent_providers.allow_hosts). */
  providerHosts: AddressPolicy;
  /** Trunk files go only inside FreeSWITCH's configuration directory: a profile's default there, and why `dir` may not hold them (null: it may). */
  trunkDirs: { fallback: (profile: string) => string; problem: (dir: string) => string | null };
  /** A provider was created, changed or deleted: apply it to the running daemon. */
  providerChanged: (id: number) => Promise<void>;
  /** Documents → one fax TIFF on disk (converted once per content); throws MediaRefused naming the file. */
  prepareFax: (files: { name: string; bytes: Buffer }[], fine: boolean) => Promise<{ path: string; pages: number }>;
  /** A recording → 8 kHz WAV on disk (converted once per content); throws MediaRefused. */
  convertAudio: (bytes: Buffer) => Promise<{ path: string }>;
  /** Converted recordings played one after the other → one WAV on disk; throws MediaRefused when too long. */
  joinAudio: (wavs: string[]) => Promise<{ path: string }>;
}

/** The signed-in user, permission checks and tenancy, shared by every route module of the face. */
export class Ctx {
  constructor(readonly deps: IctcoreDeps) {}

  user(req: FastifyRequest): UserRow {
    if (!req.user) throw new SwitchpostError('unauthenticated', 'no valid token');
    return req.user;
  }

  scope(req: FastifyRequest): Scope {
    const u = this.user(req);
    return { userId: u.id, role: u.role };
  }

  /** The user, if the user may `p`; else 403 (ICTCore: "User not permitted to perform required action"). */
  async authorize(req: FastifyRequest, ...ps: Permission[]): Promise<UserRow> {
    const u = this.user(req);
    for (const p of ps) if (!(await this.deps.permissions.can(u, p))) throw new SwitchpostError('forbidden', `User not permitted to perform required action (${p})`);
    return u;
  }

  /** A row the user may see, else 404 — another tenant's row looks exactly like a missing one. */
  async own<T extends Pick<Row, 'user_id'>>(req: FastifyRequest, row: T | undefined, what: string, ownerOf: (r: T) => number | null = (r) => r.user_id): Promise<T> {
    const owner = row ? ownerOf(row) : null;
    if (!row || owner === null || !(await this.deps.users.canSee(this.scope(req), owner))) throw new SwitchpostError('not_found', `${what} not found`);
    return row;
  }
}
