/**
 * The spool engine's thread (started by main.ts with `new Worker`): wiring, like main.ts. Its logs go
 * to the main thread's logger as lines; its formatters are the faces' callback formats, and
 * the faces' listeners that write when a job finishes run here too.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { CallbackFormatters } from './events/callbacks.js';
import { welcorpCallbacks } from './api/welcorp/callbacks.js';
import { SpoolEngine } from './spool/engine.js';
import { JobStore } from './store/jobs.js';
import { redactFinishedTwoFactor } from './api/welcorp/two-factor-redaction.js';
import type { EngineData, FromEngine } from './spool/engine-protocol.js';

const port = parentPort;
if (!port) throw new Error('spool-worker.js runs as a worker thread');
const data = workerData as EngineData;
const log = pino({ level: data.logLevel, base: undefined }, { write: (line: string) => port.postMessage({ t: 'log', line } satisfies FromEngine) });
const formatters = new CallbackFormatters();
formatters.register('welcorp', welcorpCallbacks);
const engine = new SpoolEngine(data.config, formatters, port, log);
// On this thread: it writes as each job finishes.
redactFinishedTwoFactor(engine.bus, new JobStore(engine.db));
