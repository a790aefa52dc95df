/**
 * Versioned schema, one history for both store drivers (SQLite's `sql`, PostgreSQL's `postgres`).
 * Append only: a released migration is never edited.
 * Times are epoch milliseconds (INTEGER); JSON columns hold TEXT.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQLite's text, applied by store/db.ts. */
  sql: string;
  /**
   * PostgreSQL's text of the same step, applied by store/pg/migrate.ts: the same tables, columns,
   * constraints and index names. SQLite's INTEGER PRIMARY KEY ids are `bigint GENERATED ALWAYS AS
   * IDENTITY` (never reused); epoch-ms times and the columns holding an id are bigint, other INTEGERs
   * integer, REAL double precision; JSON stays text. test/store/pg-migrations.test.ts holds the two
   * schemas to each other.
   */
  postgres: string;
  /**
   * SQLite only: tables rebuilt after `sql` so that their `id INTEGER PRIMARY KEY` is AUTOINCREMENT
   * (store/rebuild.ts), each with queries of the highest of its ids other rows still hold; run with
   * foreign keys off and checked after, as SQLite's table rebuild is.
   */
  autoincrement?: Readonly<Record<string, readonly string[]>>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'core model',
    sql: `
CREATE TABLE companies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);

CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  user_code TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('admin', 'agent', 'user')),
  agent_id INTEGER REFERENCES users(id),
  company_id INTEGER REFERENCES companies(id),
  first_name TEXT, last_name TEXT, email TEXT, phone TEXT, mobile TEXT, fax TEXT,
  timezone TEXT NOT NULL,
  country TEXT NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  profile TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX users_agent ON users(agent_id);

CREATE TABLE providers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  driver TEXT NOT NULL,
  services TEXT NOT NULL,
  host TEXT, port INTEGER, username TEXT, password TEXT,
  dialstring TEXT, prefix TEXT,
  weight INTEGER NOT NULL DEFAULT 1,
  throughput REAL NOT NULL DEFAULT 0,
  concurrency INTEGER NOT NULL DEFAULT 0,
  settings TEXT NOT NULL DEFAULT '{}',
  active INTEGER NOT NULL DEFAULT 1,
  owner_user_id INTEGER REFERENCES users(id),
  source TEXT NOT NULL DEFAULT 'db' CHECK (source IN ('builtin', 'config', 'db')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One broadcast. content/options are JSON shaped per channel; the columns are what the spool reads.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  face TEXT NOT NULL,
  channel TEXT NOT NULL,
  name TEXT,
  status TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'complete', 'cancelled')),
  content TEXT NOT NULL DEFAULT '{}',
  options TEXT NOT NULL DEFAULT '{}',
  callback_url TEXT,
  sender TEXT,
  scheduled_at INTEGER,
  valid_until INTEGER,
  reply_until INTEGER,
  cutoff TEXT,
  blackouts TEXT,
  total INTEGER NOT NULL DEFAULT 0,
  remaining INTEGER NOT NULL DEFAULT 0,
  succeeded INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  cost REAL NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  first_sent_at INTEGER,
  completed_at INTEGER
);
CREATE INDEX jobs_created ON jobs(created_at);
CREATE INDEX jobs_user_created ON jobs(user_id, created_at);

-- One destination of a job (ICTCore: transmission).
-- due_at means: queued → when it may be sent; sending → when its lease expires;
-- submitted → when waiting for a receipt gives up. One index serves all three sweeps.
CREATE TABLE recipients (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  seq INTEGER NOT NULL,
  destination TEXT NOT NULL,
  address TEXT,
  name TEXT,
  reference TEXT,
  fields TEXT,
  blackouts TEXT,
  state TEXT NOT NULL,
  reason TEXT,
  due_at INTEGER NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  attempt_id INTEGER,
  parts INTEGER,
  cost REAL,
  duration INTEGER,
  keypress TEXT,
  voicemail INTEGER,
  sent_at INTEGER,
  final_at INTEGER
);
CREATE INDEX recipients_due ON recipients(state, due_at);
CREATE INDEX recipients_job ON recipients(job_id, seq);

-- One try to deliver (ICTCore: spool).
CREATE TABLE attempts (
  id INTEGER PRIMARY KEY,
  recipient_id INTEGER NOT NULL,
  job_id INTEGER NOT NULL,
  provider_id INTEGER,
  try INTEGER NOT NULL,
  destination TEXT NOT NULL,
  sender TEXT,
  queued_at INTEGER NOT NULL,
  started_at INTEGER,
  connected_at INTEGER,
  ended_at INTEGER,
  status TEXT NOT NULL,
  response TEXT,
  peer_id TEXT,
  parts INTEGER,
  encoding TEXT,
  cost REAL,
  duration INTEGER
);
CREATE INDEX attempts_recipient ON attempts(recipient_id);
CREATE INDEX attempts_peer ON attempts(provider_id, peer_id) WHERE peer_id IS NOT NULL;
CREATE INDEX attempts_destination ON attempts(destination);

-- What an attempt produced: receipt, reply, keypress, voicemail, fax pages.
CREATE TABLE results (
  id INTEGER PRIMARY KEY,
  attempt_id INTEGER,
  recipient_id INTEGER,
  job_id INTEGER,
  kind TEXT NOT NULL,
  value TEXT,
  data TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX results_recipient ON results(recipient_id);

-- Messages that came in: SMS replies and MO, later inbound fax and email.
CREATE TABLE inbound (
  id INTEGER PRIMARY KEY,
  provider_id INTEGER,
  channel TEXT NOT NULL,
  sender TEXT NOT NULL,
  receiver TEXT,
  body TEXT,
  job_id INTEGER,
  recipient_id INTEGER,
  received_at INTEGER NOT NULL,
  data TEXT
);
CREATE INDEX inbound_job ON inbound(job_id);

CREATE TABLE opt_outs (
  user_id INTEGER NOT NULL,
  address TEXT NOT NULL,
  source TEXT,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, address)
) WITHOUT ROWID;

-- Durable outbox of callbacks: written in the same transaction as the change they report.
CREATE TABLE callbacks (
  id INTEGER PRIMARY KEY,
  user_id INTEGER,
  job_id INTEGER,
  recipient_id INTEGER,
  kind TEXT NOT NULL,
  url TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  tries INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE INDEX callbacks_due ON callbacks(state, next_at);

-- One daemon per database: the holder's token and heartbeat.
CREATE TABLE instance (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  token TEXT NOT NULL,
  pid INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
`,
    postgres: `
-- SQLite's INTEGER PRIMARY KEY ids are identities here (never reused, never given by an INSERT);
-- times are epoch milliseconds in bigint, ids and the columns that hold one bigint, other integers
-- integer, REAL double precision, JSON text.
CREATE TABLE companies (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  details text NOT NULL DEFAULT '{}',
  created_at bigint NOT NULL
);

CREATE TABLE users (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_code text NOT NULL,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'agent', 'user')),
  agent_id bigint REFERENCES users(id),
  company_id bigint REFERENCES companies(id),
  first_name text, last_name text, email text, phone text, mobile text, fax text,
  timezone text NOT NULL,
  country text NOT NULL,
  active integer NOT NULL DEFAULT 1,
  profile text NOT NULL DEFAULT '{}',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
-- SQLite's UNIQUE COLLATE NOCASE: one user_code whatever its case. A lookup compares
-- lower(user_code) to lower($1) to use it (the column itself compares case and all).
CREATE UNIQUE INDEX users_user_code_key ON users (lower(user_code));
CREATE INDEX users_agent ON users(agent_id);

CREATE TABLE providers (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  driver text NOT NULL,
  services text NOT NULL,
  host text, port integer, username text, password text,
  dialstring text, prefix text,
  weight integer NOT NULL DEFAULT 1,
  throughput double precision NOT NULL DEFAULT 0,
  concurrency integer NOT NULL DEFAULT 0,
  settings text NOT NULL DEFAULT '{}',
  active integer NOT NULL DEFAULT 1,
  owner_user_id bigint REFERENCES users(id),
  source text NOT NULL DEFAULT 'db' CHECK (source IN ('builtin', 'config', 'db')),
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  face text NOT NULL,
  channel text NOT NULL,
  name text,
  status text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'complete', 'cancelled')),
  content text NOT NULL DEFAULT '{}',
  options text NOT NULL DEFAULT '{}',
  callback_url text,
  sender text,
  scheduled_at bigint,
  valid_until bigint,
  reply_until bigint,
  cutoff text,
  blackouts text,
  total integer NOT NULL DEFAULT 0,
  remaining integer NOT NULL DEFAULT 0,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  cost double precision NOT NULL DEFAULT 0,
  created_at bigint NOT NULL,
  first_sent_at bigint,
  completed_at bigint
);
CREATE INDEX jobs_created ON jobs(created_at);
CREATE INDEX jobs_user_created ON jobs(user_id, created_at);

CREATE TABLE recipients (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id bigint NOT NULL REFERENCES jobs(id),
  seq integer NOT NULL,
  destination text NOT NULL,
  address text,
  name text,
  reference text,
  fields text,
  blackouts text,
  state text NOT NULL,
  reason text,
  due_at bigint NOT NULL,
  tries integer NOT NULL DEFAULT 0,
  attempt_id bigint,
  parts integer,
  cost double precision,
  duration integer,
  keypress text,
  voicemail integer,
  sent_at bigint,
  final_at bigint
);
CREATE INDEX recipients_due ON recipients(state, due_at);
CREATE INDEX recipients_job ON recipients(job_id, seq);

CREATE TABLE attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient_id bigint NOT NULL,
  job_id bigint NOT NULL,
  provider_id bigint,
  try integer NOT NULL,
  destination text NOT NULL,
  sender text,
  queued_at bigint NOT NULL,
  started_at bigint,
  connected_at bigint,
  ended_at bigint,
  status text NOT NULL,
  response text,
  peer_id text,
  parts integer,
  encoding text,
  cost double precision,
  duration integer
);
CREATE INDEX attempts_recipient ON attempts(recipient_id);
CREATE INDEX attempts_peer ON attempts(provider_id, peer_id) WHERE peer_id IS NOT NULL;
CREATE INDEX attempts_destination ON attempts(destination);

CREATE TABLE results (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  attempt_id bigint,
  recipient_id bigint,
  job_id bigint,
  kind text NOT NULL,
  value text,
  data text,
  created_at bigint NOT NULL
);
CREATE INDEX results_recipient ON results(recipient_id);

CREATE TABLE inbound (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider_id bigint,
  channel text NOT NULL,
  sender text NOT NULL,
  receiver text,
  body text,
  job_id bigint,
  recipient_id bigint,
  received_at bigint NOT NULL,
  data text
);
CREATE INDEX inbound_job ON inbound(job_id);

CREATE TABLE opt_outs (
  user_id bigint NOT NULL,
  address text NOT NULL,
  source text,
  created_at bigint NOT NULL,
  PRIMARY KEY (user_id, address)
);

CREATE TABLE callbacks (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint,
  job_id bigint,
  recipient_id bigint,
  kind text NOT NULL,
  url text NOT NULL,
  content_type text NOT NULL,
  body text NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  tries integer NOT NULL DEFAULT 0,
  next_at bigint NOT NULL,
  last_error text,
  created_at bigint NOT NULL,
  done_at bigint
);
CREATE INDEX callbacks_due ON callbacks(state, next_at);

-- One row, id 1: not an identity.
CREATE TABLE instance (
  id bigint PRIMARY KEY CHECK (id = 1),
  token text NOT NULL,
  pid integer NOT NULL,
  heartbeat_at bigint NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'message parts',
    sql: `
-- A long SMS is several messages on the network, each with its own peer id and receipt.
-- Rows exist only for attempts sent in more than one part; attempts.peer_id holds part 1's id too.
CREATE TABLE attempt_parts (
  attempt_id INTEGER NOT NULL,
  part INTEGER NOT NULL,
  provider_id INTEGER NOT NULL,
  peer_id TEXT NOT NULL,
  status TEXT,
  response TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (attempt_id, part)
) WITHOUT ROWID;
CREATE INDEX attempt_parts_peer ON attempt_parts(provider_id, peer_id);
`,
    postgres: `
CREATE TABLE attempt_parts (
  attempt_id bigint NOT NULL,
  part integer NOT NULL,
  provider_id bigint NOT NULL,
  peer_id text NOT NULL,
  status text,
  response text,
  updated_at bigint NOT NULL,
  PRIMARY KEY (attempt_id, part)
);
CREATE INDEX attempt_parts_peer ON attempt_parts(provider_id, peer_id);
`,
  },
  {
    version: 3,
    name: 'external job ids and duplicate detection',
    sql: `
-- A face's own id for a job (Retarus "J.…"), unique within the face.
ALTER TABLE jobs ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX jobs_external ON jobs(face, external_id) WHERE external_id IS NOT NULL;
-- Same content to the same recipients: a digest, for faces that refuse duplicates within a window.
ALTER TABLE jobs ADD COLUMN dedupe_key TEXT;
CREATE INDEX jobs_dedupe ON jobs(user_id, dedupe_key, created_at) WHERE dedupe_key IS NOT NULL;
`,
    postgres: `
ALTER TABLE jobs ADD COLUMN external_id text;
CREATE UNIQUE INDEX jobs_external ON jobs(face, external_id) WHERE external_id IS NOT NULL;
ALTER TABLE jobs ADD COLUMN dedupe_key text;
CREATE INDEX jobs_dedupe ON jobs(user_id, dedupe_key, created_at) WHERE dedupe_key IS NOT NULL;
`,
  },
  {
    version: 4,
    name: 'sessions',
    sql: `
-- Token sessions of faces that log in (uContact). Only a digest of the token is stored.
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  face TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expiry ON sessions(expires_at);
`,
    postgres: `
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  face text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);
`,
  },
  {
    version: 5,
    name: 'verification codes',
    sql: `
-- 2FA codes (v1 API client_verification): only a keyed digest of each code is kept.
CREATE TABLE verification_codes (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  client_ref TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  channel TEXT NOT NULL,
  destination TEXT NOT NULL,
  job_id INTEGER,
  sent_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX verification_codes_ref ON verification_codes(user_id, client_ref, sent_at);
CREATE TABLE verification_failures (
  user_id INTEGER NOT NULL,
  client_ref TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE INDEX verification_failures_ref ON verification_failures(user_id, client_ref, at);
`,
    postgres: `
CREATE TABLE verification_codes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL,
  client_ref text NOT NULL,
  code_hash text NOT NULL,
  channel text NOT NULL,
  destination text NOT NULL,
  job_id bigint,
  sent_at bigint NOT NULL,
  used_at bigint
);
CREATE INDEX verification_codes_ref ON verification_codes(user_id, client_ref, sent_at);
CREATE TABLE verification_failures (
  user_id bigint NOT NULL,
  client_ref text NOT NULL,
  at bigint NOT NULL
);
CREATE INDEX verification_failures_ref ON verification_failures(user_id, client_ref, at);
`,
  },
  {
    version: 6,
    name: 'recipient priority',
    sql: `
-- Lower goes first (uContact's priority). NULL: no priority; such rows go by due time alone.
ALTER TABLE recipients ADD COLUMN priority INTEGER;
-- Only prioritised rows are in it, so reading it costs nothing when none are queued.
CREATE INDEX recipients_priority ON recipients(priority, due_at) WHERE state = 'queued' AND priority IS NOT NULL;
`,
    postgres: `
ALTER TABLE recipients ADD COLUMN priority integer;
CREATE INDEX recipients_priority ON recipients(priority, due_at) WHERE state = 'queued' AND priority IS NOT NULL;
`,
  },
  {
    version: 7,
    name: 'ictcore: contacts, groups, messages, programs, accounts, campaigns, schedules, permissions',
    sql: `
-- The address book (ICTCore contacts) and its groups; a campaign sends to a group.
CREATE TABLE contacts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  first_name TEXT, last_name TEXT, phone TEXT, email TEXT, address TEXT,
  custom1 TEXT, custom2 TEXT, custom3 TEXT, description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_user ON contacts(user_id, id);
CREATE TABLE contact_groups (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX contact_groups_user ON contact_groups(user_id, id);
CREATE TABLE group_members (
  group_id INTEGER NOT NULL,
  contact_id INTEGER NOT NULL,
  PRIMARY KEY (group_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX group_members_contact ON group_members(contact_id);

-- Reusable content: fax documents, voice recordings, e-mail templates, SMS texts. Kind-specific
-- fields are JSON in data; an uploaded file lives in data_dir/media/messages, converted once.
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  kind TEXT NOT NULL CHECK (kind IN ('document', 'recording', 'template', 'text')),
  name TEXT NOT NULL,
  description TEXT,
  type TEXT,
  data TEXT NOT NULL DEFAULT '{}',
  media TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX messages_user ON messages(user_id, kind, id);

-- What a transmission does (sendsms: a text; sendfax: a document…), with its parameters.
CREATE TABLE programs (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  parent_id INTEGER,
  data TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX programs_user ON programs(user_id, id);

-- Sending identities (ICTCore accounts: a DID, an extension, an e-mail address) and their settings.
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users(id),
  type TEXT NOT NULL DEFAULT 'account',
  username TEXT,
  password_hash TEXT,
  pin_hash TEXT,
  first_name TEXT, last_name TEXT, phone TEXT, email TEXT, address TEXT,
  active INTEGER NOT NULL DEFAULT 1,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX accounts_username ON accounts(username) WHERE username IS NOT NULL;
CREATE TABLE account_settings (
  account_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT,
  PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
CREATE TABLE account_programs (
  account_id INTEGER NOT NULL,
  program_id INTEGER NOT NULL,
  PRIMARY KEY (account_id, program_id)
) WITHOUT ROWID;

-- A program sent to a group; each start is a job over the group's contacts (job_id: the latest).
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  program_id INTEGER NOT NULL,
  group_id INTEGER NOT NULL,
  account_id INTEGER,
  cpm INTEGER NOT NULL DEFAULT 60,
  try_allowed INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'new',
  job_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX campaigns_user ON campaigns(user_id, id);

-- Timed actions (transmission send, campaign start/stop): a cron expression, or one instant.
CREATE TABLE schedules (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL,
  target TEXT NOT NULL CHECK (target IN ('transmission', 'campaign')),
  target_id INTEGER NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('send', 'start', 'stop')),
  cron TEXT,
  at INTEGER,
  recurring INTEGER NOT NULL DEFAULT 0,
  expiry INTEGER,
  timezone TEXT NOT NULL,
  last_run_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX schedules_target ON schedules(target, target_id);

-- Per-user exceptions to the role's permissions: granted 1 adds one, 0 takes one away.
CREATE TABLE user_permissions (
  user_id INTEGER NOT NULL,
  permission TEXT NOT NULL,
  granted INTEGER NOT NULL,
  PRIMARY KEY (user_id, permission)
) WITHOUT ROWID;

-- A transmission (recipient) knows its contact; a job its program, account and campaign. A deleted
-- transmission is hidden, not removed: ids are never reused while caches may still hold them.
ALTER TABLE recipients ADD COLUMN contact_id INTEGER;
ALTER TABLE recipients ADD COLUMN hidden INTEGER;
ALTER TABLE jobs ADD COLUMN program_id INTEGER;
ALTER TABLE jobs ADD COLUMN account_id INTEGER;
ALTER TABLE jobs ADD COLUMN campaign_id INTEGER;
CREATE INDEX jobs_campaign ON jobs(campaign_id) WHERE campaign_id IS NOT NULL;
`,
    postgres: `
CREATE TABLE contacts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  first_name text, last_name text, phone text, email text, address text,
  custom1 text, custom2 text, custom3 text, description text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX contacts_user ON contacts(user_id, id);
CREATE TABLE contact_groups (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  name text NOT NULL,
  description text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX contact_groups_user ON contact_groups(user_id, id);
CREATE TABLE group_members (
  group_id bigint NOT NULL,
  contact_id bigint NOT NULL,
  PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_members_contact ON group_members(contact_id);

CREATE TABLE messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  kind text NOT NULL CHECK (kind IN ('document', 'recording', 'template', 'text')),
  name text NOT NULL,
  description text,
  type text,
  data text NOT NULL DEFAULT '{}',
  media text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX messages_user ON messages(user_id, kind, id);

CREATE TABLE programs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  type text NOT NULL,
  name text NOT NULL,
  parent_id bigint,
  data text NOT NULL DEFAULT '{}',
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX programs_user ON programs(user_id, id);

CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint REFERENCES users(id),
  type text NOT NULL DEFAULT 'account',
  username text,
  password_hash text,
  pin_hash text,
  first_name text, last_name text, phone text, email text, address text,
  active integer NOT NULL DEFAULT 1,
  created_by bigint NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE UNIQUE INDEX accounts_username ON accounts(username) WHERE username IS NOT NULL;
CREATE TABLE account_settings (
  account_id bigint NOT NULL,
  name text NOT NULL,
  value text,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE account_programs (
  account_id bigint NOT NULL,
  program_id bigint NOT NULL,
  PRIMARY KEY (account_id, program_id)
);

CREATE TABLE campaigns (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id),
  program_id bigint NOT NULL,
  group_id bigint NOT NULL,
  account_id bigint,
  cpm integer NOT NULL DEFAULT 60,
  try_allowed integer NOT NULL DEFAULT 1,
  status text NOT NULL DEFAULT 'new',
  job_id bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX campaigns_user ON campaigns(user_id, id);

CREATE TABLE schedules (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id bigint NOT NULL,
  target text NOT NULL CHECK (target IN ('transmission', 'campaign')),
  target_id bigint NOT NULL,
  action text NOT NULL CHECK (action IN ('send', 'start', 'stop')),
  cron text,
  at bigint,
  recurring integer NOT NULL DEFAULT 0,
  expiry bigint,
  timezone text NOT NULL,
  last_run_at bigint,
  created_at bigint NOT NULL
);
CREATE INDEX schedules_target ON schedules(target, target_id);

CREATE TABLE user_permissions (
  user_id bigint NOT NULL,
  permission text NOT NULL,
  granted integer NOT NULL,
  PRIMARY KEY (user_id, permission)
);

ALTER TABLE recipients ADD COLUMN contact_id bigint;
ALTER TABLE recipients ADD COLUMN hidden integer;
ALTER TABLE jobs ADD COLUMN program_id bigint;
ALTER TABLE jobs ADD COLUMN account_id bigint;
ALTER TABLE jobs ADD COLUMN campaign_id bigint;
CREATE INDEX jobs_campaign ON jobs(campaign_id) WHERE campaign_id IS NOT NULL;
`,
  },
  {
    version: 8,
    name: 'inbound owner',
    sql: `
-- A message a user injected through a face is that user's (a matched reply: its job's user).
ALTER TABLE inbound ADD COLUMN user_id INTEGER;
`,
    postgres: `
ALTER TABLE inbound ADD COLUMN user_id bigint;
`,
  },
  {
    version: 9,
    name: 'callbacks by job, for the callback status in reports',
    sql: `
CREATE INDEX callbacks_job ON callbacks(job_id, recipient_id) WHERE job_id IS NOT NULL;
`,
    postgres: `
CREATE INDEX callbacks_job ON callbacks(job_id, recipient_id) WHERE job_id IS NOT NULL;
`,
  },
  {
    version: 10,
    name: 'delivery: attempts held back from the wire',
    sql: `
-- An attempt leased but held back from the wire until the spool has recorded that it goes there (a
-- last try over SMPP): 1 until then. After a crash such an attempt gives its try back; any other may
-- have been sent, so its try counts.
ALTER TABLE attempts ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0;
`,
    postgres: `
ALTER TABLE attempts ADD COLUMN unsent integer NOT NULL DEFAULT 0;
`,
  },
  {
    version: 11,
    name: '2-way attempts by number, for reply matching',
    sql: `
-- A reply is matched among the 2-way messages sent to its number lately: one-way traffic to the
-- number (anyone's, however much) stays out of that index.
ALTER TABLE attempts ADD COLUMN two_way INTEGER;
UPDATE attempts SET two_way = 1 WHERE job_id IN (SELECT id FROM jobs WHERE channel IN ('sms2way', 'mms'));
CREATE INDEX attempts_two_way ON attempts(destination, queued_at) WHERE two_way = 1;
`,
    postgres: `
ALTER TABLE attempts ADD COLUMN two_way integer;
UPDATE attempts SET two_way = 1 WHERE job_id IN (SELECT id FROM jobs WHERE channel IN ('sms2way', 'mms'));
CREATE INDEX attempts_two_way ON attempts(destination, queued_at) WHERE two_way = 1;
`,
  },
  {
    version: 12,
    name: "job content in the domain's words",
    sql: `
-- Content was stored under the v1 face's wire names ({message, sms}, {message, voice, header,
-- two_way_key_responses, skip_message_repeat, audio_file…}, {fax_file, fax_pages, fax_header…});
-- it is now core/content.ts's typed union, one kind per channel family.
UPDATE jobs SET content = json_object(
  'kind', 'sms',
  'text', CASE WHEN json_type(content, '$.messages') = 'array' THEN json_object('texts', json(json_extract(content, '$.messages')))
               ELSE json_object('template', coalesce(json_extract(content, '$.message'), '')) END,
  'sms', CASE WHEN json_type(content, '$.sms') = 'object' THEN json(json_extract(content, '$.sms')) ELSE json('{}') END)
WHERE channel IN ('sms', 'sms2way') AND json_extract(content, '$.kind') IS NULL;

UPDATE jobs SET content = json_object(
  'kind', 'call',
  'text', CASE WHEN json_type(content, '$.messages') = 'array' THEN json_object('texts', json(json_extract(content, '$.messages')))
               ELSE json_object('template', coalesce(json_extract(content, '$.message'), '')) END,
  'voice', coalesce(nullif(trim(json_extract(content, '$.voice')), ''), 'default'),
  'header', json_extract(content, '$.header'),
  'voicemail', json_extract(content, '$.voicemail_message'),
  'recording', CASE WHEN coalesce(json_extract(content, '$.audio_file'), '') <> ''
                    THEN json_object('file', json_extract(content, '$.audio_file'), 'name', coalesce(json_extract(content, '$.audio_name'), '')) END,
  -- skip_message_repeat was true or 1 (json_extract gives 1 for both) to read the message once.
  'repeat', json(CASE WHEN json_extract(content, '$.skip_message_repeat') = 1 THEN 'false' ELSE 'true' END),
  'responses', (SELECT json_group_array(json_object('key', CAST(json_extract(r.value, '$.key_press') AS TEXT),
                                                    'message', json_extract(r.value, '$.response_message'),
                                                    'redirectTo', json_extract(r.value, '$.redirect_to')))
                FROM json_each(jobs.content, '$.two_way_key_responses') AS r))
WHERE channel IN ('tts', 'tts2way', 'voice') AND json_extract(content, '$.kind') IS NULL;

UPDATE jobs SET content = json_object(
  'kind', 'fax',
  'document', coalesce(json_extract(content, '$.fax_file'), ''),
  'pages', coalesce(json_extract(content, '$.fax_pages'), 0),
  'fine', json(CASE WHEN json_extract(content, '$.fine') = 1 THEN 'true' ELSE 'false' END),
  'header', json_extract(content, '$.fax_header'),
  'fileNames', CASE WHEN json_type(content, '$.file_names') = 'array' THEN json(json_extract(content, '$.file_names')) ELSE json('[]') END)
WHERE channel = 'fax' AND json_extract(content, '$.kind') IS NULL;
`,
    postgres: `
-- The same documents SQLite's text makes of the same stored content: j is the content as jsonb, for
-- lookups (j->'k' is json_extract's value, JSON null included; nullif(…, 'null') makes that SQL
-- NULL where SQLite's coalesce sees one). The key responses are read as json, which keeps an object's
-- members in their stored order as SQLite's json_each does; like json_each, a null or a scalar there
-- is one response of nulls, and a missing one none. The new text is jsonb's (keys in its own order).
UPDATE jobs SET content = (SELECT jsonb_build_object(
  'kind', 'sms',
  'text', CASE WHEN jsonb_typeof(j->'messages') = 'array' THEN jsonb_build_object('texts', j->'messages')
               ELSE jsonb_build_object('template', coalesce(nullif(j->'message', 'null'), '""')) END,
  'sms', CASE WHEN jsonb_typeof(j->'sms') = 'object' THEN j->'sms' ELSE '{}' END)::text
  FROM (SELECT jobs.content::jsonb AS j) AS s)
WHERE channel IN ('sms', 'sms2way') AND content::jsonb->>'kind' IS NULL;

UPDATE jobs SET content = (SELECT jsonb_build_object(
  'kind', 'call',
  'text', CASE WHEN jsonb_typeof(j->'messages') = 'array' THEN jsonb_build_object('texts', j->'messages')
               ELSE jsonb_build_object('template', coalesce(nullif(j->'message', 'null'), '""')) END,
  'voice', coalesce(nullif(trim(j->>'voice'), ''), 'default'),
  'header', j->'header',
  'voicemail', j->'voicemail_message',
  'recording', CASE WHEN coalesce(j->>'audio_file', '') <> ''
                    THEN jsonb_build_object('file', j->'audio_file', 'name', coalesce(nullif(j->'audio_name', 'null'), '""')) END,
  -- skip_message_repeat was true or 1 (SQLite's json_extract gives 1 for both) to read the message once.
  'repeat', CASE WHEN j->'skip_message_repeat' IN ('true', '1') THEN false ELSE true END,
  'responses', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                          'key', CASE json_typeof(r.value->'key_press')
                                   WHEN 'boolean' THEN CASE WHEN r.value->>'key_press' = 'true' THEN '1' ELSE '0' END
                                   ELSE r.value->>'key_press' END,
                          'message', r.value->'response_message',
                          'redirectTo', r.value->'redirect_to') ORDER BY r.ord), '[]')
                FROM (SELECT e.value, e.ord FROM json_array_elements(CASE WHEN json_typeof(s.responses) = 'array' THEN s.responses END) WITH ORDINALITY AS e(value, ord)
                      UNION ALL
                      SELECT o.value, o.ord FROM json_each(CASE WHEN json_typeof(s.responses) = 'object' THEN s.responses END) WITH ORDINALITY AS o(key, value, ord)
                      UNION ALL
                      SELECT s.responses, 1 WHERE json_typeof(s.responses) NOT IN ('array', 'object')) AS r))::text
  FROM (SELECT jobs.content::jsonb AS j, jobs.content::json->'two_way_key_responses' AS responses) AS s)
WHERE channel IN ('tts', 'tts2way', 'voice') AND content::jsonb->>'kind' IS NULL;

UPDATE jobs SET content = (SELECT jsonb_build_object(
  'kind', 'fax',
  'document', coalesce(nullif(j->'fax_file', 'null'), '""'),
  'pages', coalesce(nullif(j->'fax_pages', 'null'), '0'),
  'fine', CASE WHEN j->'fine' IN ('true', '1') THEN true ELSE false END,
  'header', j->'fax_header',
  'fileNames', CASE WHEN jsonb_typeof(j->'file_names') = 'array' THEN j->'file_names' ELSE '[]' END)::text
  FROM (SELECT jobs.content::jsonb AS j) AS s)
WHERE channel = 'fax' AND content::jsonb->>'kind' IS NULL;
`,
  },
  {
    version: 13,
    name: 'the node that made each attempt',
    sql: `
-- node.id of the daemon whose engine made the attempt (several daemons share one store, issue 15);
-- NULL for attempts made before this column.
ALTER TABLE attempts ADD COLUMN node_id TEXT;
`,
    postgres: `
ALTER TABLE attempts ADD COLUMN node_id text;
`,
  },
  {
    version: 14,
    name: 'ids never reused after a delete',
    sql: `
-- Without AUTOINCREMENT, SQLite gives a new row the highest id + 1: delete the newest contact (job,
-- transmission…) and the next one gets its id, which a client, a report or a reference still holds.
-- Every table whose id numbers new rows is rebuilt with it (the migration's autoincrement list, run
-- by store/db.ts), its sequence starting past every id its rows or other rows' references hold.
`,
    // PostgreSQL's ids are identity columns from migration 1: a sequence, never reused.
    postgres: `
SELECT 1;
`,
    autoincrement: {
      companies: ['SELECT max(company_id) FROM users'],
      users: [
        'SELECT max(agent_id) FROM users',
        ...['accounts', 'campaigns', 'contact_groups', 'contacts', 'jobs', 'messages', 'programs', 'sessions', 'user_permissions', 'opt_outs', 'schedules', 'callbacks', 'inbound', 'verification_codes', 'verification_failures'].map(
          (t) => `SELECT max(user_id) FROM ${t}`,
        ),
        'SELECT max(owner_user_id) FROM providers',
        'SELECT max(created_by) FROM accounts',
      ],
      providers: ['SELECT max(provider_id) FROM attempts', 'SELECT max(provider_id) FROM attempt_parts', 'SELECT max(provider_id) FROM inbound'],
      accounts: ['SELECT max(account_id) FROM account_programs', 'SELECT max(account_id) FROM account_settings', 'SELECT max(account_id) FROM jobs', 'SELECT max(account_id) FROM campaigns'],
      programs: ['SELECT max(program_id) FROM account_programs', 'SELECT max(program_id) FROM jobs', 'SELECT max(program_id) FROM campaigns', 'SELECT max(parent_id) FROM programs'],
      // A program names its message in its data (text_id, recording_id, document_id or template_id).
      messages: ["SELECT max(CAST(coalesce(json_extract(data, '$.text_id'), json_extract(data, '$.recording_id'), json_extract(data, '$.document_id'), json_extract(data, '$.template_id')) AS INTEGER)) FROM programs WHERE json_valid(data)"],
      contact_groups: ['SELECT max(group_id) FROM group_members', 'SELECT max(group_id) FROM campaigns'],
      contacts: ['SELECT max(contact_id) FROM group_members', 'SELECT max(contact_id) FROM recipients'],
      campaigns: ['SELECT max(campaign_id) FROM jobs', "SELECT max(target_id) FROM schedules WHERE target = 'campaign'"],
      jobs: ['recipients', 'attempts', 'results', 'inbound', 'callbacks', 'verification_codes', 'campaigns'].map((t) => `SELECT max(job_id) FROM ${t}`),
      recipients: [...['attempts', 'results', 'inbound', 'callbacks'].map((t) => `SELECT max(recipient_id) FROM ${t}`), "SELECT max(target_id) FROM schedules WHERE target = 'transmission'"],
      attempts: ['SELECT max(attempt_id) FROM attempt_parts', 'SELECT max(attempt_id) FROM recipients', 'SELECT max(attempt_id) FROM results'],
      results: [],
      inbound: [],
      callbacks: [],
      schedules: [],
      verification_codes: [],
    },
  },
  {
    version: 15,
    name: "contacts: the v1 lists' fields",
    sql: `
-- The v1 API's uploaded lists carry Reference, Fax, Mobile and CustomField1–6 beside ICTCore's fields;
-- a list's contacts are sent to by the channel's own number (SMS: mobile, fax: fax).
ALTER TABLE contacts ADD COLUMN reference TEXT;
ALTER TABLE contacts ADD COLUMN fax TEXT;
ALTER TABLE contacts ADD COLUMN mobile TEXT;
ALTER TABLE contacts ADD COLUMN custom4 TEXT;
ALTER TABLE contacts ADD COLUMN custom5 TEXT;
ALTER TABLE contacts ADD COLUMN custom6 TEXT;
`,
    postgres: `
ALTER TABLE contacts ADD COLUMN reference text;
ALTER TABLE contacts ADD COLUMN fax text;
ALTER TABLE contacts ADD COLUMN mobile text;
ALTER TABLE contacts ADD COLUMN custom4 text;
ALTER TABLE contacts ADD COLUMN custom5 text;
ALTER TABLE contacts ADD COLUMN custom6 text;
`,
  },
  {
    version: 16,
    name: 'mail timers: the e-mails a job sends later (batched replies at expiry, its report)',
    sql: `
-- A durable timer per job and kind: 'replies' (the batch of a 2-way job's replies, due when its reply
-- window ends) and 'report' (its report e-mail, due when it finishes). Written in the transaction that
-- decides it; removed in the one that makes the e-mail's job, so a crash between sends it once.
CREATE TABLE mail_timers (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('replies', 'report')),
  due_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, kind)
);
CREATE INDEX mail_timers_due ON mail_timers(due_at);
`,
    postgres: `
CREATE TABLE mail_timers (
  job_id bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('replies', 'report')),
  due_at bigint NOT NULL,
  PRIMARY KEY (job_id, kind)
);
CREATE INDEX mail_timers_due ON mail_timers(due_at);
`,
  },
  {
    version: 17,
    name: 'numbers: the inbound numbers an administrator assigns to users',
    sql: `
-- A number the daemon receives on (an MO's destination, a fax DID), in E.164, and the user it is
-- routed to. One owner per number; ICTCore accounts' phones route too (accounts.phone).
CREATE TABLE numbers (
  number TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX numbers_user ON numbers(user_id);
-- Inbound e-mail to an account is looked up by its address (its phone is compared in E.164, in code).
CREATE INDEX accounts_email ON accounts(email COLLATE NOCASE) WHERE email IS NOT NULL;
`,
    postgres: `
CREATE TABLE numbers (
  number text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at bigint NOT NULL
);
CREATE INDEX numbers_user ON numbers(user_id);
CREATE INDEX accounts_email ON accounts(lower(email)) WHERE email IS NOT NULL;
`,
  },
  {
    version: 18,
    name: "document retention: the files each job's content names, and their removal",
    sql: `
-- A job's documents (the files its content names: a fax's TIFF, a recording, attachments, MMS media, a
-- received fax's PDF) by their place under data_dir, media/<dir>/<file> (core/documents.ts): files are
-- named by their content and shared between jobs, so a file goes only when no job still keeps it.
-- A job's rows go when its documents are removed; what is left is what some job still keeps.
CREATE TABLE job_files (
  job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  file TEXT NOT NULL,
  PRIMARY KEY (job_id, file)
) WITHOUT ROWID;
CREATE INDEX job_files_file ON job_files(file);
-- NULL: the job has no documents; 'kept'; 'removed' (its user's maximum_document_retention_hours after it finished).
ALTER TABLE jobs ADD COLUMN documents TEXT CHECK (documents IN ('kept', 'removed'));
ALTER TABLE jobs ADD COLUMN documents_removed_at INTEGER;
-- The sweep's range: a user's finished jobs that keep documents, by when they finished.
CREATE INDEX jobs_documents_kept ON jobs(user_id, completed_at) WHERE documents = 'kept';
-- Files no job keeps any more, decided in the sweep's transaction and unlinked after it (again after a
-- crash, checked again first: a job made since may name the same file).
CREATE TABLE file_removals (
  file TEXT PRIMARY KEY,
  queued_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The jobs made before: their content's paths cut to media/<dir>/<file> as documentKey() cuts them
-- (the last three segments; rtrim by the path's other characters leaves it up to its last '/').
WITH paths(job_id, p) AS (
  SELECT id, content ->> '$.document' FROM jobs WHERE content ->> '$.kind' = 'fax'
  UNION ALL SELECT id, content ->> '$.recording.file' FROM jobs WHERE content ->> '$.kind' = 'call'
  UNION ALL SELECT j.id, a.value ->> '$.file' FROM jobs j, json_each(j.content, '$.attachments') a WHERE j.content ->> '$.kind' = 'email'
  UNION ALL SELECT j.id, m.value ->> '$.file' FROM jobs j, json_each(j.content, '$.media') m WHERE j.content ->> '$.kind' = 'mms'
),
s1(job_id, p, d1) AS (SELECT job_id, p, rtrim(p, replace(p, '/', '')) FROM paths WHERE p IS NOT NULL AND p <> ''),
s2(job_id, name, up) AS (SELECT job_id, substr(p, length(d1) + 1), substr(d1, 1, length(d1) - 1) FROM s1 WHERE d1 <> ''),
s3(job_id, name, dir, d2) AS (SELECT job_id, name, substr(up, length(rtrim(up, replace(up, '/', ''))) + 1), rtrim(up, replace(up, '/', '')) FROM s2),
s4(job_id, name, dir, media) AS (
  SELECT job_id, name, dir, substr(substr(d2, 1, length(d2) - 1), length(rtrim(substr(d2, 1, length(d2) - 1), replace(substr(d2, 1, length(d2) - 1), '/', ''))) + 1)
  FROM s3 WHERE d2 <> ''
)
INSERT OR IGNORE INTO job_files (job_id, file)
  SELECT job_id, 'media/' || dir || '/' || name FROM s4
  WHERE media = 'media' AND dir IN ('fax', 'audio', 'attachments', 'mms', 'reports', 'fax-in') AND name NOT IN ('', '.', '..');
UPDATE jobs SET documents = 'kept' WHERE id IN (SELECT job_id FROM job_files);
`,
    postgres: `
CREATE TABLE job_files (
  job_id bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  file text NOT NULL,
  PRIMARY KEY (job_id, file)
);
CREATE INDEX job_files_file ON job_files(file);
ALTER TABLE jobs ADD COLUMN documents text CHECK (documents IN ('kept', 'removed'));
ALTER TABLE jobs ADD COLUMN documents_removed_at bigint;
CREATE INDEX jobs_documents_kept ON jobs(user_id, completed_at) WHERE documents = 'kept';
CREATE TABLE file_removals (
  file text PRIMARY KEY,
  queued_at bigint NOT NULL
);
INSERT INTO job_files (job_id, file)
  SELECT DISTINCT job_id, substring(p from '(?:^|/)(media/(?:fax|audio|attachments|mms|reports|fax-in)/[^/]*[^./][^/]*)$') FROM (
    SELECT id AS job_id, content::jsonb ->> 'document' AS p FROM jobs WHERE content::jsonb ->> 'kind' = 'fax'
    UNION ALL SELECT id, content::jsonb -> 'recording' ->> 'file' FROM jobs WHERE content::jsonb ->> 'kind' = 'call'
    UNION ALL SELECT j.id, a ->> 'file' FROM jobs j, jsonb_array_elements(CASE WHEN j.content::jsonb ->> 'kind' = 'email' THEN j.content::jsonb -> 'attachments' ELSE '[]'::jsonb END) a
    UNION ALL SELECT j.id, m ->> 'file' FROM jobs j, jsonb_array_elements(CASE WHEN j.content::jsonb ->> 'kind' = 'mms' THEN j.content::jsonb -> 'media' ELSE '[]'::jsonb END) m
  ) paths
  WHERE substring(p from '(?:^|/)(media/(?:fax|audio|attachments|mms|reports|fax-in)/[^/]*[^./][^/]*)$') IS NOT NULL;
UPDATE jobs SET documents = 'kept' WHERE id IN (SELECT job_id FROM job_files);
`,
  },
  {
    version: 19,
    name: 'nodes: the daemons sharing the store, and their heartbeats',
    sql: `
-- One row a daemon (node.id) sharing the store (issue 15): it registers at start and heartbeats every
-- node.heartbeat_seconds. A heartbeat older than node.timeout_seconds is a dead node's: one live node
-- sets recovered_at (only one UPDATE wins) and takes back its leases as a restart would; the node's own
-- calls (attempts with a peer id) wait for it, and are taken too only after node.calls_grace_seconds,
-- when the row goes. services: what its active providers offer (a JSON list), for the others' claims.
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  services TEXT NOT NULL DEFAULT '[]',
  recovered_at INTEGER
) WITHOUT ROWID;
`,
    postgres: `
CREATE TABLE nodes (
  id text PRIMARY KEY,
  pid integer NOT NULL,
  host text NOT NULL,
  started_at bigint NOT NULL,
  heartbeat_at bigint NOT NULL,
  services text NOT NULL DEFAULT '[]',
  recovered_at bigint
);
`,
  },
  {
    version: 20,
    name: "nodes sharing a store: callbacks claimed by a node, providers' binds held by slots",
    sql: `
-- A callback a node is delivering: claimed_by is its node.id, claimed_until the claim's end. Another
-- node takes it only after that (the holder died mid-delivery); the holder's result is written only
-- while the claim is still the one it took (its node and its end). NULL: nobody is delivering it.
ALTER TABLE callbacks ADD COLUMN claimed_by TEXT;
ALTER TABLE callbacks ADD COLUMN claimed_until INTEGER;
-- A provider's binds across nodes: settings.nodes slots (default 1), each held by one node while its
-- lease runs (renewed by the holder's heartbeat). A node runs the provider's gateway only while it
-- holds one; an expired slot is free for any node to take.
CREATE TABLE provider_holders (
  provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
  slot INTEGER NOT NULL,
  node_id TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  PRIMARY KEY (provider_id, slot)
) WITHOUT ROWID;
`,
    postgres: `
ALTER TABLE callbacks ADD COLUMN claimed_by text;
ALTER TABLE callbacks ADD COLUMN claimed_until bigint;
CREATE TABLE provider_holders (
  provider_id bigint NOT NULL REFERENCES providers(id) ON DELETE CASCADE,
  slot integer NOT NULL,
  node_id text NOT NULL,
  lease_until bigint NOT NULL,
  PRIMARY KEY (provider_id, slot)
);
`,
  },
];
