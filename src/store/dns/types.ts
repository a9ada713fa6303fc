/**
 * The read-only catalog view the DNS interface answers from: healthy service instances and node
 * addresses, already filtered the way Consul's DNS does (no instance with a critical check). A view
 * answers synchronously (the in-process catalog) or asynchronously (a client agent reading its
 * server's catalog over the HTTP API, see http-view.ts).
 */

/** MaybePromise is a value, or a promise of it for a view that looks things up remotely. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** isPromiseLike tells a pending lookup from a synchronous answer. */
export function isPromiseLike<T>(value: MaybePromise<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** DnsInstance is one service instance a DNS answer may name. */
export interface DnsInstance {
  readonly node: string;
  readonly nodeAddress: string;
  /** The instance's own address; '' when it uses the node's. */
  readonly serviceAddress: string;
  readonly port: number;
  /** SRV weight (Consul's Weights.Passing or Weights.Warning by the instance's health). */
  readonly weight: number;
}

/** DnsNode is a node a DNS answer may name. */
export interface DnsNode {
  readonly node: string;
  readonly address: string;
  readonly meta: Readonly<Record<string, string>>;
}

/**
 * DnsCatalogView is everything the DNS server reads. Each lookup returns its value, or a promise
 * of it; the server answers a rejected lookup, or one slower than its lookup timeout, SERVFAIL.
 */
export interface DnsCatalogView {
  /** This agent's datacenter, e.g. `dc1`. */
  readonly datacenter: string;
  /**
   * The instances of `service` (case-insensitive) carrying `tag` when given, without those that
   * have a critical check; undefined when no such service is registered at all.
   */
  serviceInstances(
    service: string,
    tag: string | undefined,
  ): MaybePromise<DnsInstance[] | undefined>;
  /** A node by name (case-insensitive); undefined when unknown. */
  node(name: string): MaybePromise<DnsNode | undefined>;
}

/** SyncDnsCatalogView is a view that always answers at once (the in-process catalog). */
export interface SyncDnsCatalogView extends DnsCatalogView {
  serviceInstances(service: string, tag: string | undefined): DnsInstance[] | undefined;
  node(name: string): DnsNode | undefined;
}

/** AsyncDnsCatalogView is a view that always looks up remotely (a client agent's). */
export interface AsyncDnsCatalogView extends DnsCatalogView {
  serviceInstances(service: string, tag: string | undefined): Promise<DnsInstance[] | undefined>;
  node(name: string): Promise<DnsNode | undefined>;
}
