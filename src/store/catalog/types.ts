/**
 * The catalog's rows and commands: nodes, service instances and health checks, as plain
 * serialisable data the store's log can carry (no bigint, no Maps, no class instances).
 */

/** CheckStatus is a health check's state (Consul's api.Health* constants). */
export type CheckStatus = 'passing' | 'warning' | 'critical';

/** CHECK_STATUSES lists the statuses in Consul's order of severity. */
export const CHECK_STATUSES: readonly CheckStatus[] = ['passing', 'warning', 'critical'];

/** isCheckStatus tells whether text is a valid check status. */
export function isCheckStatus(text: unknown): text is CheckStatus {
  return text === 'passing' || text === 'warning' || text === 'critical';
}

/** StringMap is a string-to-string map as Consul's Meta and TaggedAddresses. */
export type StringMap = Readonly<Record<string, string>>;

/** NodeRecord is a node as registered, without its indexes. */
export interface NodeRecord {
  readonly node: string;
  /** The node's UUID; '' when not given. */
  readonly id: string;
  readonly address: string;
  readonly datacenter: string;
  readonly taggedAddresses: StringMap | null;
  readonly meta: StringMap | null;
}

/** ServiceWeights are the DNS SRV weights of an instance by its health. */
export interface ServiceWeights {
  readonly passing: number;
  readonly warning: number;
}

/** ServiceRecord is one service instance on a node, without its indexes. */
export interface ServiceRecord {
  /** The instance ID, unique per node (defaults to the service name). */
  readonly id: string;
  /** The service name. */
  readonly service: string;
  readonly tags: readonly string[];
  /** The instance's own address; '' = the node's. */
  readonly address: string;
  readonly taggedAddresses: StringMap | null;
  readonly meta: StringMap;
  readonly port: number;
  readonly weights: ServiceWeights;
  readonly enableTagOverride: boolean;
  /** '' for a typical service (Consul's ServiceKind). */
  readonly kind: string;
}

/** CheckType is how a check is run ('' for checks registered without a definition). */
export type CheckType = 'http' | 'tcp' | 'ttl' | 'script' | 'serf' | 'maintenance' | '';

/** CheckDefinition is what Consul echoes as a check's `Definition`. */
export interface CheckDefinition {
  readonly http?: string;
  readonly tcp?: string;
  readonly method?: string;
  readonly header?: Readonly<Record<string, readonly string[]>>;
  readonly body?: string;
  readonly args?: readonly string[];
  readonly ttl?: string;
  readonly interval?: string;
  readonly timeout?: string;
  readonly deregisterCriticalServiceAfter?: string;
}

/** CheckRecord is one health check, without its indexes. */
export interface CheckRecord {
  readonly node: string;
  readonly checkId: string;
  readonly name: string;
  readonly status: CheckStatus;
  readonly notes: string;
  readonly output: string;
  /** The service instance this check belongs to; '' for a node-level check. */
  readonly serviceId: string;
  readonly type: CheckType;
  readonly definition: CheckDefinition;
}

/** Indexes are a row's Raft-style create and modify indexes. */
export interface Indexes {
  readonly createIndex: number;
  readonly modifyIndex: number;
}

/** CatalogNode is a node row. */
export type CatalogNode = NodeRecord & Indexes;
/** CatalogService is a service instance row, with the node it runs on. */
export type CatalogService = ServiceRecord & Indexes & { readonly node: string };
/** CatalogCheck is a check row. */
export type CatalogCheck = CheckRecord & Indexes;

/**
 * CatalogRegisterCommand is PUT /v1/catalog/register (and the agent's sync of its own services and
 * checks): upserts the node, at most one service and any checks.
 */
export interface CatalogRegisterCommand {
  readonly type: 'catalog-register';
  readonly node: NodeRecord;
  /** Keep an existing node row as is (Consul's SkipNodeUpdate). */
  readonly skipNodeUpdate: boolean;
  readonly service: ServiceRecord | null;
  readonly checks: readonly CheckRecord[];
}

/**
 * CatalogDeregisterCommand is PUT /v1/catalog/deregister: a check, a service (and its checks), or
 * with neither the whole node.
 */
export interface CatalogDeregisterCommand {
  readonly type: 'catalog-deregister';
  readonly node: string;
  readonly serviceId?: string;
  readonly checkId?: string;
}

/** CheckStatusCommand records a check's new status and output (TTL updates, runner results). */
export interface CheckStatusCommand {
  readonly type: 'check-status';
  readonly node: string;
  readonly checkId: string;
  readonly status: CheckStatus;
  readonly output: string;
}

/** CatalogCommand is every catalog mutation. */
export type CatalogCommand = CatalogRegisterCommand | CatalogDeregisterCommand | CheckStatusCommand;

/** CATALOG_COMMAND_TYPES lists the `type` of every catalog command. */
export const CATALOG_COMMAND_TYPES: ReadonlySet<string> = new Set([
  'catalog-register',
  'catalog-deregister',
  'check-status',
]);

/** isCatalogCommand tells whether a log command belongs to the catalog. */
export function isCatalogCommand(command: { readonly type: string }): command is CatalogCommand {
  return CATALOG_COMMAND_TYPES.has(command.type);
}

/** CatalogTable names the catalog's tables (each has a table index). */
export type CatalogTable = 'nodes' | 'services' | 'checks';

/** CatalogEffects says what an applied catalog command changed, for waking blocking queries. */
export interface CatalogEffects {
  readonly tables: Set<CatalogTable>;
  /** Names of services whose per-service index moved. */
  readonly services: Set<string>;
  /** Nodes removed from the catalog (their sessions must be invalidated). */
  readonly removedNodes: string[];
  /** Checks whose status changed, as `node/checkId` → new status (for sessions). */
  readonly checkStatuses: { node: string; checkId: string; status: CheckStatus }[];
  /** Checks deleted (their sessions must be invalidated, whatever the status was). */
  readonly removedChecks: { node: string; checkId: string }[];
}

/** NodeMetaFilter is `?node-meta=key:value` pairs; every pair must match. */
export type NodeMetaFilter = readonly (readonly [string, string])[];

/** ServiceQuery filters service instances: every tag must be present, every meta pair match. */
export interface ServiceQuery {
  readonly tags?: readonly string[];
  readonly nodeMeta?: NodeMetaFilter;
}

/** HealthServiceQuery adds `?passing` to a service query. */
export interface HealthServiceQuery extends ServiceQuery {
  /** Keep only entries whose every check passes. */
  readonly passing?: boolean;
}

/** HealthEntry is one element of /v1/health/service: an instance, its node and its checks. */
export interface HealthEntry {
  readonly node: CatalogNode;
  readonly service: CatalogService;
  /** Node-level checks then the instance's checks, each group sorted by CheckID. */
  readonly checks: readonly CatalogCheck[];
}
