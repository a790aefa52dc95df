// A load generator in its own process (bench/api-read.js forks it): `connections` keep-alive HTTP/1.1
// connections, each with one request at a time, for `seconds`, to `path` with {id} a random id in
// [lo, hi]; prints one JSON line of results.
import http from 'node:http';

const { url, seconds, connections, auth, path, lo, hi } = JSON.parse(process.argv[2]);
const paths = Array.from({ length: 50_000 }, () => path.replace('{id}', String(lo + Math.floor(Math.random() * (hi - lo + 1)))));
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
const latencies = [];
let errors = 0;
let statusErrors = 0;
const until = performance.now() + seconds * 1000;

function one(path) {
  return new Promise((resolve) => {
    const t = performance.now();
    const req = http.request({ host: target.hostname, port: target.port, path, agent, headers: { authorization: auth } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) statusErrors++;
        latencies.push(performance.now() - t);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end();
  });
}

async function worker(i) {
  let n = i;
  while (performance.now() < until) await one(paths[(n += connections) % paths.length]);
}

const start = performance.now();
await Promise.all(Array.from({ length: connections }, (_, i) => worker(i)));
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
console.log(JSON.stringify({ requests: latencies.length, seconds: elapsed, rps: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1], errors, statusErrors }));
agent.destroy();
