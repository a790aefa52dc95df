// A claimer on its own thread and its own PostgreSQL connection (test/store/pg-nodes.test.ts): waits for
// the start signal, then claims as the dispatcher does — due rows read and leased in one transaction —
// until nothing is due, and posts the ids it leased.
import { parentPort, workerData } from 'node:worker_threads';
import { PgDb } from '../../dist/store/pg/db.js';
import { SpoolStore } from '../../dist/store/spool.js';

const { url, node, providerId, start, batch } = workerData;
const db = PgDb.open({ connectionString: url });
const spool = new SpoolStore(db, node);
const claimed = [];
Atomics.wait(start, 0, 0);
for (;;) {
  const n = spool.tx(() => {
    const rows = spool.due(Number.MAX_SAFE_INTEGER, batch);
    const made = spool.batch.insertAttempts(
      rows.map((r) => ({ recipientId: r.id, jobId: r.job_id, providerId, tryNo: r.tries + 1, destination: r.destination, sender: null, twoWay: false, unsent: false })),
      1,
    );
    spool.batch.lease(
      rows.map((r) => ({ id: r.id, address: r.destination, attemptId: made.get(r.id) })),
      Number.MAX_SAFE_INTEGER,
    );
    claimed.push(...rows.map((r) => r.id));
    return rows.length;
  });
  if (n === 0) break;
}
db.close();
parentPort.postMessage(claimed);
