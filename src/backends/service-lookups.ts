/**
 * Shared helpers for the backends that answer catalog lookups (`service`, `services`, `nodes`):
 * the deterministic order the template functions promise.
 */
import type { ServiceInstance } from '../template/types.js';

/** sortInstances orders instances by node, then instance ID, so renders are stable. */
export function sortInstances(list: ServiceInstance[]): ServiceInstance[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return list.sort((a, b) => cmp(a.Node, b.Node) || cmp(a.ID, b.ID));
}
