/**
 * The spool engine's thread (started by main.ts with `new Worker`): wiring, like main.ts. Its logs go
 * to the main thread's logger as lines; its formatters are the faces' callback formats; the faces'
 * listeners that write when a job finishes run here too; and it serves the faces' stores by name.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CallbackFormatters } from './events/callbacks.js';
import { welcorpCallbacks } from './api/welcorp/callbacks.js';
import { redactFinishedTwoFactor } from './api/welcorp/two-factor-redaction.js';
import { welcorpMailFollowUps } from './api/welcorp/mail-follow-ups.js';
import { join } from 'node:path';
import { SpoolEngine } from './spool/engine.js';
import { allFollowUps } from './spool/mail-follow-ups.js';
import { emailToFaxFollowUps } from './api/mail/follow-ups.js';
import type { EngineData, FromEngine, ToEngine } from './spool/engine-protocol.js';
import { gatedLogger, isLogLevel, LogLevelGate } from './ops/log-level.js';
import { faceStores } from './store/face-stores.js';

const port = parentPort;
if (!port) throw new Error('spool-worker.js runs as a worker thread');
const data = workerData as EngineData;
// Its level follows the main thread's (`logLevel` messages): lines below it are not even posted.
const gate = new LogLevelGate(isLogLevel(data.logLevel) ? data.logLevel : 'info');
const log = gatedLogger(gate, { base: undefined }, { write: (line: string) => port.postMessage({ t: 'log', line } satisfies FromEngine) });
port.on('message', (m: ToEngine) => {
  if (m.t === 'logLevel' && isLogLevel(m.level)) gate.set(m.level);
});
const formatters = new CallbackFormatters();
formatters.register('welcorp', welcorpCallbacks);
const engine = new SpoolEngine(data.config, formatters, port, log);
const stores = faceStores(engine.db, data.config.default_country);
engine.serve(stores);
// On this thread: it writes as each job finishes.
redactFinishedTwoFactor(engine.bus, stores.jobs);
// The v1 API's reply and report e-mails, made in the spool's own transactions (spool/mail-follow-ups.ts).
const { system_from: systemFrom, system_from_name: systemFromName } = data.config.email;
const from = systemFrom ? { address: systemFrom, name: systemFromName } : null;
engine.mail.register(
  allFollowUps([
    welcorpMailFollowUps({ jobs: stores.jobs, users: stores.users, replies: stores.replies, from, reportDir: join(data.config.data_dir, 'media', 'reports') }),
    // E-mail to fax tells its sender how each fax ended.
    emailToFaxFollowUps({ jobs: stores.jobs, from }),
  ]),
);
