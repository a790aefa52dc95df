import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The daemon's own registry (never prom-client's global one: tests run several daemons in one
 * process). Every series carries the node's id; the process's own metrics (CPU, memory, event loop
 * lag, GC) are collected on it too.
 */
export function metricsRegistry(nodeId: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry });
  return registry;
}
