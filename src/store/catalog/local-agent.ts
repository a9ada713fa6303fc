/**
 * The local agent's service and check management: registers this node (with its `serfHealth`
 * check and, on a server, the `consul` service), the agent's own services and checks, runs their
 * health checks, and turns every result into a catalog command through the store's log.
 */
import { ConfdError, ErrorCode, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { CheckRunner } from '../checks/check-runner.js';
import type { Timers } from '../checks/types.js';
import { agentNode, consulService, serfHealthCheck } from './agent-records.js';
import type { CatalogStore } from './catalog-store.js';
import type { ServiceDefinition } from './requests.js';
import type {
  CatalogCheck,
  CatalogService,
  CheckRecord,
  CheckStatus,
  NodeRecord,
} from './types.js';

/** LocalAgentOptions configure a {@link LocalAgent}. */
export interface LocalAgentOptions {
  readonly store: CatalogStore;
  readonly logger: Logger;
  readonly nodeName: string;
  readonly nodeId: string;
  /** The node's advertised address, e.g. 127.0.0.1. */
  readonly address: string;
  readonly datacenter: string;
  /** A server registers itself as service `consul` (port 8300). Default true. */
  readonly server?: boolean;
  /** Allow script checks (Consul's enable_script_checks). Default false. */
  readonly enableScriptChecks?: boolean;
  readonly timers?: Timers;
  /** Passed to the check runner (tests shorten them). */
  readonly minDeregisterMs?: number;
  readonly reapIntervalMs?: number;
  readonly signal?: AbortSignal;
}

/** NODE_MAINTENANCE_CHECK is the check ID of node maintenance mode (Consul). */
export const NODE_MAINTENANCE_CHECK = '_node_maintenance';
/** serviceMaintenanceCheck is the check ID of a service's maintenance mode (Consul). */
export function serviceMaintenanceCheck(serviceId: string): string {
  return `_service_maintenance:${serviceId}`;
}

function agentError(message: string): ConfdError {
  return new ConfdError(ErrorCode.STORE_INVALID_COMMAND, message);
}

/** LocalAgent manages this node's entries in the catalog. */
export class LocalAgent {
  readonly #o: LocalAgentOptions;
  readonly #runner: CheckRunner;
  /** The latest status write of each check still in flight, so an update can await its own. */
  readonly #recording = new Map<string, Promise<void>>();
  #closed = false;

  constructor(options: LocalAgentOptions) {
    this.#o = options;
    this.#runner = new CheckRunner({
      logger: options.logger,
      timers: options.timers,
      minDeregisterMs: options.minDeregisterMs,
      reapIntervalMs: options.reapIntervalMs,
      onResult: (checkId, status, output) => void this.#track(checkId, status, output),
      onDeregisterCritical: (_checkId, serviceId) => void this.#reapService(serviceId),
    });
    options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** The node this agent registers. */
  get nodeName(): string {
    return this.#o.nodeName;
  }

  #node(): NodeRecord {
    const { nodeName: node, nodeId: id, address, datacenter } = this.#o;
    return agentNode({ node, id, address, datacenter });
  }

  /**
   * start registers the node with a passing `serfHealth` check (and the `consul` service on a
   * server), and resumes the health checks of local checks already in the catalog.
   */
  async start(): Promise<void> {
    await this.#o.store.catalogApply({
      type: 'catalog-register',
      node: this.#node(),
      skipNodeUpdate: false,
      service: this.#o.server === false ? null : consulService(),
      checks: [serfHealthCheck(this.#o.nodeName, 'passing', 'Agent alive and reachable')],
    });
    for (const c of this.checks()) this.#run(c);
  }

  #run(c: CheckRecord): void {
    if (c.type === 'http' || c.type === 'tcp' || c.type === 'ttl' || c.type === 'script') {
      this.#runner.add({
        checkId: c.checkId,
        serviceId: c.serviceId,
        type: c.type,
        definition: c.definition,
        status: c.status,
      });
    }
  }

  #ensureScriptsAllowed(checks: readonly CheckRecord[]): void {
    if (this.#o.enableScriptChecks) return;
    if (checks.some((c) => c.type === 'script')) {
      throw agentError(
        "Scripts are disabled on this agent; to enable, configure 'enable_script_checks' or " +
          "'enable_local_script_checks' to true",
      );
    }
  }

  #track(checkId: string, status: CheckStatus, output: string): Promise<void> {
    const write = this.#record(checkId, status, output).finally(() => {
      if (this.#recording.get(checkId) === write) this.#recording.delete(checkId);
    });
    this.#recording.set(checkId, write);
    return write;
  }

  async #record(checkId: string, status: CheckStatus, output: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#o.store.catalogApply({
        type: 'check-status',
        node: this.#o.nodeName,
        checkId,
        status,
        output,
      });
    } catch (err) {
      this.#o.logger.warn(`agent: check ${JSON.stringify(checkId)}: ${errorMessage(err)}`);
    }
  }

  async #reapService(serviceId: string): Promise<void> {
    try {
      await this.deregisterService(serviceId);
    } catch (err) {
      this.#o.logger.warn(`agent: reaping service ${serviceId}: ${errorMessage(err)}`);
    }
  }

  /** registerService adds or replaces a local service and its checks, and starts the checks. */
  async registerService(def: ServiceDefinition, replaceExistingChecks = false): Promise<void> {
    this.#ensureScriptsAllowed(def.checks);
    const node = this.#o.nodeName;
    const checks = def.checks.map((c) => ({ ...c, node, serviceId: def.service.id }));
    if (replaceExistingChecks) {
      const keep = new Set(checks.map((c) => c.checkId));
      for (const c of this.#o.store.catalogState().serviceChecksOf(node, def.service.id)) {
        if (!keep.has(c.checkId)) await this.deregisterCheck(c.checkId);
      }
    }
    // A re-registered check keeps its current status unless the definition sets one.
    const current = this.#o.store.catalogState();
    const merged = checks.map((c) => {
      const old = current.check(node, c.checkId);
      return old ? { ...c, status: old.status, output: old.output } : c;
    });
    await this.#o.store.catalogApply({
      type: 'catalog-register',
      node: this.#node(),
      skipNodeUpdate: true,
      service: def.service,
      checks: merged,
    });
    for (const c of merged) this.#run(c);
  }

  /** deregisterService removes a local service and its checks (no-op when absent). */
  async deregisterService(serviceId: string): Promise<void> {
    const own = this.#o.store.catalogState().serviceChecksOf(this.#o.nodeName, serviceId);
    for (const c of own) this.#runner.remove(c.checkId);
    await this.#o.store.catalogApply({
      type: 'catalog-deregister',
      node: this.#o.nodeName,
      serviceId,
    });
  }

  /** registerCheck adds or replaces a local check; its service must be registered here. */
  async registerCheck(check: CheckRecord): Promise<void> {
    this.#ensureScriptsAllowed([check]);
    const c = { ...check, node: this.#o.nodeName };
    if (c.serviceId !== '' && !this.service(c.serviceId)) {
      throw agentError(`ServiceID "${c.serviceId}" does not exist`);
    }
    await this.#o.store.catalogApply({
      type: 'catalog-register',
      node: this.#node(),
      skipNodeUpdate: true,
      service: null,
      checks: [c],
    });
    this.#run(c);
  }

  /** deregisterCheck removes a local check (no-op when absent). */
  async deregisterCheck(checkId: string): Promise<void> {
    this.#runner.remove(checkId);
    await this.#o.store.catalogApply({
      type: 'catalog-deregister',
      node: this.#o.nodeName,
      checkId,
    });
  }

  /**
   * updateCheck sets a check's status and output (agent check pass/warn/fail/update): a TTL check
   * also re-arms its TTL. False when the check does not exist on this node.
   */
  async updateCheck(checkId: string, status: CheckStatus, output: string): Promise<boolean> {
    const check = this.#o.store.catalogState().check(this.#o.nodeName, checkId);
    if (!check || checkId === 'serfHealth') return false;
    if (!this.#runner.ttlUpdate(checkId, status, output)) {
      await this.#track(checkId, status, output);
      return true;
    }
    // The TTL runner reported the new status (if it changed) through #track: answer once that
    // write is in the log, so a read after the answer sees it, as after a KV write.
    await this.#recording.get(checkId);
    return true;
  }

  /** serviceMaintenance toggles `_service_maintenance:<id>`; false when the service is unknown. */
  async serviceMaintenance(serviceId: string, enable: boolean, reason: string): Promise<boolean> {
    const service = this.service(serviceId);
    if (!service) return false;
    const checkId = serviceMaintenanceCheck(serviceId);
    if (!enable) {
      await this.deregisterCheck(checkId);
      return true;
    }
    await this.registerCheck({
      node: this.#o.nodeName,
      checkId,
      name: 'Service Maintenance Mode',
      status: 'critical',
      notes:
        reason === ''
          ? 'Maintenance mode is enabled for this service, but no reason was provided. This is a default message.'
          : reason,
      output: '',
      serviceId,
      type: 'maintenance',
      definition: {},
    });
    return true;
  }

  /** nodeMaintenance toggles the `_node_maintenance` check. */
  async nodeMaintenance(enable: boolean, reason: string): Promise<void> {
    if (!enable) return this.deregisterCheck(NODE_MAINTENANCE_CHECK);
    await this.registerCheck({
      node: this.#o.nodeName,
      checkId: NODE_MAINTENANCE_CHECK,
      name: 'Node Maintenance Mode',
      status: 'critical',
      notes:
        reason === ''
          ? 'Maintenance mode is enabled for this node, but no reason was provided. This is a default message.'
          : reason,
      output: '',
      serviceId: '',
      type: 'maintenance',
      definition: {},
    });
  }

  /** service returns a local service (the server's own `consul` service excluded). */
  service(serviceId: string): CatalogService | undefined {
    if (serviceId === 'consul' && this.#o.server !== false) return undefined;
    return this.#o.store.catalogState().serviceOf(this.#o.nodeName, serviceId);
  }

  /** services lists the local services, as /v1/agent/services (without `consul`). */
  services(): CatalogService[] {
    const value = this.#o.store.catalogState().nodeServices(this.#o.nodeName).value;
    return (value?.services ?? []).filter((s) => this.service(s.id) !== undefined);
  }

  /** checks lists the local checks, as /v1/agent/checks (without `serfHealth`). */
  checks(): CatalogCheck[] {
    return this.#o.store
      .catalogState()
      .nodeChecks(this.#o.nodeName)
      .value.filter((c) => c.checkId !== 'serfHealth');
  }

  /** close stops every health check. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#runner.close();
  }
}
