// One GET of a big body from a daemon in a child process, while /health is asked every 10 ms: the
// child measures its own event-loop delay between 'start' and 'stop' (report-stream.js, list-stream.js).
import { once } from 'node:events';
import { monitorEventLoopDelay } from 'node:perf_hooks';

export async function measureGet(child, url, path, authorization) {
  child.send('start');
  await once(child, 'message');
  let reading = true;
  const health = [];
  const probe = (async () => {
    while (reading) {
      const t = performance.now();
      await (await fetch(`${url}/health`)).arrayBuffer();
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const t = performance.now();
  const res = await fetch(`${url}${path}`, { headers: { authorization } });
  const first = performance.now() - t;
  let bytes = 0;
  for await (const c of res.body) bytes += c.length;
  const total = performance.now() - t;
  reading = false;
  await probe;
  child.send('stop');
  const [lag] = await once(child, 'message');
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}`);
  return { bytes, first, total, ...lag, health: Math.max(...health), healthN: health.length };
}

/**
 * The child's side: measure this process's event-loop delay between the parent's 'start' and 'stop'
 * (sent back as p99 and max, ms); on 'exit', stop the daemon, remove its data dir and exit.
 */
export function answerLoopDelay(stopDaemon) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  process.on('message', async (m) => {
    if (m === 'start') (h.reset(), h.enable(), process.send('started'));
    if (m === 'stop') {
      h.disable();
      process.send({ p99: h.percentile(99) / 1e6, max: h.max / 1e6 });
    }
    if (m === 'exit') {
      await stopDaemon();
      process.exit(0);
    }
  });
}
