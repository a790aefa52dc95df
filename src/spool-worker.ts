/**
 * The spool engine's thread (started by main.ts with `new Worker`): wiring, like main.ts. Its logs go
 * to the main thread's logger as lines; its formatters are the faces' callback formats.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { CallbackFormatters } from './events/callbacks.js';
import { welcorpCallbacks } from './api/welcorp/callbacks.js';
import { SpoolEngine } from './spool/engine.js';
import type { EngineData, FromEngine } from './spool/engine-protocol.js';

const port = parentPort;
if (!port) throw new Error('spool-worker.js runs as a worker thread');
const data = workerData as EngineData;
const log = pino({ level: data.logLevel, base: undefined }, { write: (line: string) => port.postMessage({ t: 'log', line } satisfies FromEngine) });
const formatters = new CallbackFormatters();
formatters.register('welcorp', welcorpCallbacks);
new SpoolEngine(data.config, formatters, port, log);
