import { Histogram, type Registry } from 'prom-client';

// A call answered from the engine's memory takes well under a millisecond; a stalled disk, seconds.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The store's latency as the faces and the wiring see it (issue 19): each call into the engine's
 * thread, where the store runs, from the message out to its answer, by kind (store: a store method;
 * storeOpen/storeNext/storeClose: a streamed read's page; call: an engine operation).
 */
export function storeLatencyMetrics(registry: Registry): (kind: string, seconds: number) => void {
  const latency = new Histogram({
    name: 'switchpost_store_call_duration_seconds',
    help: "Calls into the store's thread, from the request to its answer, by kind (store, storeOpen, storeNext, storeClose, call).",
    labelNames: ['kind'],
    buckets: BUCKETS,
    registers: [registry],
  });
  return (kind, seconds) => latency.observe({ kind }, seconds);
}
