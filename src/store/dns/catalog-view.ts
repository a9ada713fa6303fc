/**
 * Adapts the catalog sub-state to the {@link DnsCatalogView} the DNS server reads: healthy
 * instances (no critical check on the instance or its node) and node addresses.
 */
import type { CatalogState } from '../catalog/catalog-state.js';
import { hasTags } from '../catalog/catalog-state.js';
import type { DnsInstance, DnsNode, SyncDnsCatalogView } from './types.js';

/** CatalogViewOptions configure {@link catalogDnsView}. */
export interface CatalogViewOptions {
  /** Returns the current catalog (the engine may replace it on snapshot restore). */
  readonly catalog: () => CatalogState;
  readonly datacenter: string;
  /** Serve only instances whose every check passes (dns_config.only_passing). Default false. */
  readonly onlyPassing?: boolean;
}

/** findName resolves a DNS label to a service name: exact first, then case-insensitively. */
function findName(state: CatalogState, wanted: string): string | undefined {
  if (state.hasService(wanted)) return wanted;
  const lower = wanted.toLowerCase();
  return state.serviceNames().find((n) => n.toLowerCase() === lower);
}

/** catalogDnsView builds the DNS view of a catalog; it answers synchronously. */
export function catalogDnsView(options: CatalogViewOptions): SyncDnsCatalogView {
  return {
    datacenter: options.datacenter,
    serviceInstances(service: string, tag: string | undefined): DnsInstance[] | undefined {
      const state = options.catalog();
      const name = findName(state, service);
      if (name === undefined) return undefined;
      const out: DnsInstance[] = [];
      for (const entry of state.healthService(name).value) {
        if (tag !== undefined && !hasTags(entry.service, [tag])) continue;
        const statuses = entry.checks.map((c) => c.status);
        if (statuses.includes('critical')) continue;
        const warning = statuses.includes('warning');
        if (warning && options.onlyPassing) continue;
        out.push({
          node: entry.node.node,
          nodeAddress: entry.node.address,
          serviceAddress: entry.service.address,
          port: entry.service.port,
          weight: warning ? entry.service.weights.warning : entry.service.weights.passing,
        });
      }
      return out;
    },
    node(name: string): DnsNode | undefined {
      const state = options.catalog();
      let node = state.node(name);
      if (!node) {
        const lower = name.toLowerCase();
        node = state.nodes().value.find((n) => n.node.toLowerCase() === lower);
      }
      if (!node) return undefined;
      return { node: node.node, address: node.address, meta: node.meta ?? {} };
    },
  };
}
