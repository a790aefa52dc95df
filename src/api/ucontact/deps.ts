import type { JobStore } from '../../store/jobs.js';
import type { UserStore } from '../../store/users.js';
import type { SessionStore } from '../../store/sessions.js';
import type { PermissionStore } from '../../store/permissions.js';
import type { OwnedRows } from '../../store/owned.js';
import type { Remote } from '../../store/remote.js';
import type { Clock } from '../../core/clock.js';
import type { Channel } from '../../core/model.js';
import type { InboundMessage } from '../../core/inbound.js';
import type { EventBus } from '../../events/bus.js';
import type { Logins } from '../login-limiter.js';
import type { AudioFile } from '../../media/audio.js';
import type { StoredAttachment } from '../../media/attachments.js';

/** A request's parameters, one value each (query and form or JSON body). */
export type Form = Record<string, string | undefined>;

/** What the uContact face is handed. */
export interface UcontactDeps {
  jobs: Remote<JobStore>;
  permissions: Remote<PermissionStore>;
  users: Remote<UserStore>;
  sessions: Remote<SessionStore>;
  /** auth/login checks passwords here (limited, off the event loop). */
  logins: Logins;
  clock: Clock;
  sessionMs: number;
  /** The recorder's inbound (as a gateway reports one); `committed` once it is durable. */
  inbound: (m: InboundMessage, committed?: () => void) => void;
  bus: EventBus;
  onJobCreated: (jobId: number, userId: number, channel: Channel, total: number) => void;
  /** The users' e-mail templates (ICTCore's /messages/templates), which Forms/sendEmail names. */
  templates: Remote<OwnedRows>;
  /** A job's attachments fetched or decoded once and stored by content hash; throws MediaRefused naming the file. */
  prepareAttachments: (files: AudioFile[]) => Promise<StoredAttachment[]>;
  /** Where the files sendEmail's `attachments` name ("020212/file1.jpg") are looked up. */
  filesDir: string;
  maxAttachmentMb: number;
}
