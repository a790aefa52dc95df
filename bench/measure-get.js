// One GET of a big body from a daemon in a child process, while /health is asked every 10 ms: the
// child measures its own event-loop delay between 'start' and 'stop' (report-stream.js, list-stream.js).
import { once } from 'node:events';

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
