/**
 * The read-only catalog view the DNS interface answers from: healthy service instances and node
 * addresses, already filtered the way Consul's DNS does (no instance with a critical check).
 */

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

/** DnsCatalogView is everything the DNS server reads. */
export interface DnsCatalogView {
  /** This agent's datacenter, e.g. `dc1`. */
  readonly datacenter: string;
  /**
   * The instances of `service` (case-insensitive) carrying `tag` when given, without those that
   * have a critical check; undefined when no such service is registered at all.
   */
  serviceInstances(service: string, tag: string | undefined): DnsInstance[] | undefined;
  /** A node by name (case-insensitive); undefined when unknown. */
  node(name: string): DnsNode | undefined;
}
