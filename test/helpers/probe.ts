import { expect } from 'vitest';

/** `read` while timers run every 5 ms and the daemon's /health is asked every 10 ms: the longest gap and answer. */
export async function underProbe<T>(url: string, read: () => Promise<T>) {
  let last = performance.now();
  let gap = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 5);
  const health: number[] = [];
  let reading = true;
  const healthLoop = (async () => {
    while (reading) {
      const t = performance.now();
      await (await fetch(`${url}/health`)).text();
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  const result = await read();
  reading = false;
  await healthLoop;
  clearInterval(probe);
  return { result, gap, health: Math.max(...health), n: health.length };
}

/** A 200 body's length, read as bytes (parsing it here would be the test's own gap, not the daemon's). */
export async function bodyBytes(url: string, path: string, auth: string): Promise<number> {
  const res = await fetch(`${url}${path}`, { headers: { authorization: auth } });
  expect(res.status).toBe(200);
  let n = 0;
  for await (const c of res.body!) n += (c as Uint8Array).length;
  return n;
}
