/**
 * The catalog's deterministic sub-state-machine: nodes, service instances and health checks, with
 * Consul's table indexes and per-service indexes.
 *
 * `apply(index, command)` is its only writer; it reads no clock and draws no random numbers, so the
 * engine can replay it from the log. Reads return rows with the blocking-query index Consul would
 * answer with (see consul `agent/consul/state/catalog.go`, `maxIndexForService`).
 */
import { ConfdError, ErrorCode } from '../../errors.js';
import type { Indexed } from '../types.js';
import type {
  CatalogCheck,
  CatalogCommand,
  CatalogEffects,
  CatalogNode,
  CatalogRegisterCommand,
  CatalogService,
  CheckRecord,
  CheckStatus,
  HealthEntry,
  HealthServiceQuery,
  NodeMetaFilter,
  NodeRecord,
  ServiceQuery,
  ServiceRecord,
} from './types.js';

const EMPTY_IDS: ReadonlySet<string> = new Set();

/** CatalogOutcome is the result of one catalog command, or the typed error it answers with. */
export type CatalogOutcome = { ok: true; value: unknown } | { ok: false; error: ConfdError };

/** compareChecks orders checks by CheckID with Consul's node-level `serfHealth` first. */
export function compareChecks(a: CatalogCheck, b: CatalogCheck): number {
  if (a.checkId === b.checkId) return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
  if (a.checkId === 'serfHealth') return -1;
  if (b.checkId === 'serfHealth') return 1;
  return a.checkId < b.checkId ? -1 : 1;
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameMap(
  a: Readonly<Record<string, unknown>> | null,
  b: Readonly<Record<string, unknown>> | null,
): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameNode(a: NodeRecord, b: NodeRecord): boolean {
  return (
    a.id === b.id &&
    a.address === b.address &&
    a.datacenter === b.datacenter &&
    sameMap(a.taggedAddresses, b.taggedAddresses) &&
    sameMap(a.meta, b.meta)
  );
}

/** sameFields tells whether every field of the record b has the same value in row a. */
function sameFields(a: object, b: object): boolean {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of Object.keys(rb)) {
    const x = ra[k];
    const y = rb[k];
    if (x === y) continue;
    // Tags, meta, weights and definitions are plain JSON data: compare them by their encoding.
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

function getOrCreate<K, V>(map: Map<K, V>, key: K, make: () => NoInfer<V>): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}

function noEffects(): CatalogEffects {
  return {
    tables: new Set(),
    services: new Set(),
    removedNodes: [],
    checkStatuses: [],
    removedChecks: [],
  };
}

function invalid(message: string): ConfdError {
  return new ConfdError(ErrorCode.STORE_INVALID_COMMAND, message);
}

/** matchesMeta tells whether a node's meta holds every `key:value` pair of the filter. */
export function matchesMeta(node: NodeRecord, filter: NodeMetaFilter | undefined): boolean {
  if (!filter || filter.length === 0) return true;
  const meta = node.meta ?? {};
  return filter.every(([k, v]) => Object.hasOwn(meta, k) && meta[k] === v);
}

/** hasTags tells whether an instance carries every tag (case-insensitively, as Consul does). */
export function hasTags(service: ServiceRecord, tags: readonly string[] | undefined): boolean {
  if (!tags || tags.length === 0) return true;
  const own = service.tags.map((t) => t.toLowerCase());
  return tags.every((t) => own.includes(t.toLowerCase()));
}

/** CatalogSnapshotData is the catalog sub-state as plain JSON data (see snapshot.ts). */
export interface CatalogSnapshotData {
  readonly nodesIndex: number;
  readonly servicesIndex: number;
  readonly checksIndex: number;
  readonly lastExtinction: number;
  readonly serviceIndexes: readonly (readonly [string, number])[];
  readonly nodes: readonly CatalogNode[];
  readonly services: readonly CatalogService[];
  readonly checks: readonly CatalogCheck[];
}

/** CatalogState holds the catalog tables; every mutation goes through {@link apply}. */
export class CatalogState {
  readonly #nodes = new Map<string, CatalogNode>();
  /** node → service ID → instance. */
  readonly #services = new Map<string, Map<string, CatalogService>>();
  /** node → check ID → check. */
  readonly #checks = new Map<string, Map<string, CatalogCheck>>();
  /**
   * node → service ID ('' for node-level checks) → check IDs: finds one instance's checks without
   * scanning (or sorting) every check of its node, which on an agent node holds all of them.
   */
  readonly #checksByService = new Map<string, Map<string, Set<string>>>();
  /** service name → node → service IDs. */
  readonly #byName = new Map<string, Map<string, Set<string>>>();
  /** Per-service-name index, removed when the last instance goes (Consul's `service.<name>`). */
  readonly #serviceIndex = new Map<string, number>();
  #nodesIndex = 0;
  #servicesIndex = 0;
  #checksIndex = 0;
  /** The index at which the last instance of some service was removed (service_last_extinction). */
  #lastExtinction = 0;
  #effects: CatalogEffects = noEffects();

  /** The index of the nodes table. */
  get nodesIndex(): number {
    return this.#nodesIndex;
  }
  /** The index of the services table. */
  get servicesIndex(): number {
    return this.#servicesIndex;
  }
  /** The index of the checks table. */
  get checksIndex(): number {
    return this.#checksIndex;
  }
  /** The highest index of any catalog table. */
  get maxIndex(): number {
    return Math.max(this.#nodesIndex, this.#servicesIndex, this.#checksIndex, this.#lastExtinction);
  }

  /** apply applies a catalog command at index and reports what it changed. */
  apply(
    index: number,
    command: CatalogCommand,
  ): { outcome: CatalogOutcome; effects: CatalogEffects } {
    this.#effects = noEffects();
    let outcome: CatalogOutcome;
    try {
      outcome = { ok: true, value: this.#dispatch(index, command) };
    } catch (err) {
      if (!(err instanceof ConfdError)) throw err;
      outcome = { ok: false, error: err };
    }
    const effects = this.#effects;
    this.#effects = noEffects();
    return { outcome, effects };
  }

  #dispatch(index: number, command: CatalogCommand): unknown {
    switch (command.type) {
      case 'catalog-register':
        this.#register(index, command);
        return true;
      case 'catalog-deregister':
        if (command.checkId !== undefined && command.checkId !== '') {
          this.#removeCheck(index, command.node, command.checkId);
        } else if (command.serviceId !== undefined && command.serviceId !== '') {
          this.#removeService(index, command.node, command.serviceId);
        } else {
          this.#removeNode(index, command.node);
        }
        return true;
      case 'check-status':
        return this.#setStatus(
          index,
          command.node,
          command.checkId,
          command.status,
          command.output,
        );
    }
  }

  // --- writes --------------------------------------------------------------------------------

  #register(index: number, command: CatalogRegisterCommand): void {
    const nodeName = command.node.node;
    if (nodeName === '') throw invalid('Must provide node');
    // Validate everything before the first write so that a refused command changes nothing.
    const existing = this.#nodes.get(nodeName);
    if (!existing && command.node.address === '') throw invalid('Must provide address');
    const service = command.service;
    if (service && service.service === '') throw invalid('Must provide service name');
    for (const check of command.checks) {
      if (check.checkId === '') throw invalid('Missing check ID');
      if (check.node !== nodeName)
        throw invalid(`Check node ${JSON.stringify(check.node)} mismatch`);
      if (
        check.serviceId !== '' &&
        service?.id !== check.serviceId &&
        !this.#services.get(nodeName)?.has(check.serviceId)
      ) {
        throw invalid(
          `Unknown service ID ${JSON.stringify(check.serviceId)} for check ID ${JSON.stringify(check.checkId)}`,
        );
      }
    }

    if (!existing || (!command.skipNodeUpdate && !sameNode(existing, command.node))) {
      this.#nodes.set(nodeName, {
        ...command.node,
        createIndex: existing?.createIndex ?? index,
        modifyIndex: index,
      });
      this.#nodesIndex = index;
      this.#effects.tables.add('nodes');
      this.#touchNodeServices(index, nodeName);
    }
    if (service) this.#upsertService(index, nodeName, service);
    for (const check of command.checks) this.#upsertCheck(index, check);
  }

  #upsertService(index: number, node: string, record: ServiceRecord): void {
    const table = getOrCreate(this.#services, node, () => new Map());
    const old = table.get(record.id);
    if (old && sameFields(old, record)) return;
    if (old && old.service !== record.service) this.#unindexName(index, old.service, node, old.id);
    table.set(record.id, {
      ...record,
      node,
      createIndex: old?.createIndex ?? index,
      modifyIndex: index,
    });
    const nodes = getOrCreate(this.#byName, record.service, () => new Map());
    const ids = getOrCreate(nodes, node, () => new Set());
    ids.add(record.id);
    this.#servicesIndex = index;
    this.#effects.tables.add('services');
    this.#touchService(index, record.service);
  }

  #upsertCheck(index: number, record: CheckRecord): void {
    const table = getOrCreate(this.#checks, record.node, () => new Map());
    const old = table.get(record.checkId);
    if (old && sameFields(old, record)) return;
    table.set(record.checkId, {
      ...record,
      createIndex: old?.createIndex ?? index,
      modifyIndex: index,
    });
    if (old?.serviceId !== record.serviceId) {
      if (old) this.#unindexCheck(old);
      this.#indexCheck(record);
    }
    this.#checkChanged(index, record, old);
  }

  #indexCheck(check: CheckRecord): void {
    const byService = getOrCreate(this.#checksByService, check.node, () => new Map());
    getOrCreate(byService, check.serviceId, () => new Set()).add(check.checkId);
  }

  #unindexCheck(check: CheckRecord): void {
    const byService = this.#checksByService.get(check.node);
    const ids = byService?.get(check.serviceId);
    ids?.delete(check.checkId);
    if (ids?.size === 0) byService?.delete(check.serviceId);
    if (byService?.size === 0) this.#checksByService.delete(check.node);
  }

  #checkChanged(index: number, record: CheckRecord, old: CheckRecord | undefined): void {
    this.#checksIndex = index;
    this.#effects.tables.add('checks');
    if (!old || old.status !== record.status) {
      this.#effects.checkStatuses.push({
        node: record.node,
        checkId: record.checkId,
        status: record.status,
      });
    }
    // A node-level check changes the health of every instance on the node; a service's check
    // only that service (consul ensureCheckTxn / deleteCheckTxn). A check moved between services
    // touches both.
    const serviceIds = new Set([record.serviceId]);
    if (old) serviceIds.add(old.serviceId);
    for (const serviceId of serviceIds) {
      if (serviceId === '') this.#touchNodeServices(index, record.node);
      else {
        const name = this.#services.get(record.node)?.get(serviceId)?.service;
        if (name !== undefined) this.#touchService(index, name);
      }
    }
  }

  #setStatus(
    index: number,
    node: string,
    checkId: string,
    status: CheckStatus,
    output: string,
  ): boolean {
    const old = this.#checks.get(node)?.get(checkId);
    if (!old) throw invalid(`Unknown check ID ${JSON.stringify(checkId)}`);
    if (old.status === status && old.output === output) return true;
    this.#upsertCheck(index, { ...old, status, output });
    return true;
  }

  #removeCheck(index: number, node: string, checkId: string): void {
    const table = this.#checks.get(node);
    const old = table?.get(checkId);
    if (!table || !old) return;
    table.delete(checkId);
    if (table.size === 0) this.#checks.delete(node);
    this.#unindexCheck(old);
    this.#checkChanged(index, old, undefined);
    this.#effects.removedChecks.push({ node, checkId });
  }

  #removeService(index: number, node: string, serviceId: string): void {
    const table = this.#services.get(node);
    const old = table?.get(serviceId);
    if (!table || !old) return;
    for (const checkId of [...this.#checkIdsOf(node, serviceId)].sort(byString)) {
      this.#removeCheck(index, node, checkId);
    }
    table.delete(serviceId);
    if (table.size === 0) this.#services.delete(node);
    this.#servicesIndex = index;
    this.#effects.tables.add('services');
    this.#unindexName(index, old.service, node, serviceId);
  }

  #removeNode(index: number, node: string): void {
    if (!this.#nodes.has(node)) return;
    for (const id of [...(this.#services.get(node)?.keys() ?? [])]) {
      this.#removeService(index, node, id);
    }
    for (const id of [...(this.#checks.get(node)?.keys() ?? [])])
      this.#removeCheck(index, node, id);
    this.#nodes.delete(node);
    this.#nodesIndex = index;
    this.#effects.tables.add('nodes');
    this.#effects.removedNodes.push(node);
  }

  #unindexName(index: number, name: string, node: string, serviceId: string): void {
    const nodes = this.#byName.get(name);
    const ids = nodes?.get(node);
    ids?.delete(serviceId);
    if (ids?.size === 0) nodes?.delete(node);
    this.#effects.services.add(name);
    if (nodes?.size === 0) {
      // Consul drops `service.<name>` and records service_last_extinction instead.
      this.#byName.delete(name);
      this.#serviceIndex.delete(name);
      this.#lastExtinction = index;
    } else {
      this.#serviceIndex.set(name, index);
    }
  }

  #touchService(index: number, name: string): void {
    this.#serviceIndex.set(name, index);
    this.#effects.services.add(name);
  }

  #touchNodeServices(index: number, node: string): void {
    for (const s of this.#services.get(node)?.values() ?? []) this.#touchService(index, s.service);
  }

  // --- reads ---------------------------------------------------------------------------------

  /** serviceIndex is the blocking index of a service name (Consul's maxIndexForService). */
  serviceIndex(name: string): number {
    return this.#serviceIndex.get(name) ?? Math.max(this.#lastExtinction, 0);
  }

  /** node returns one node row. */
  node(name: string): CatalogNode | undefined {
    return this.#nodes.get(name);
  }

  /** nodes lists the nodes sorted by name (GET /v1/catalog/nodes). */
  nodes(nodeMeta?: NodeMetaFilter): Indexed<CatalogNode[]> {
    const value = [...this.#nodes.values()]
      .filter((n) => matchesMeta(n, nodeMeta))
      .sort((a, b) => byString(a.node, b.node));
    return { value, index: this.#nodesIndex };
  }

  /** services maps each service name to the sorted union of its tags (GET /v1/catalog/services). */
  services(nodeMeta?: NodeMetaFilter): Indexed<Record<string, string[]>> {
    const names = [...this.#byName.keys()].sort(byString);
    const value: Record<string, string[]> = {};
    for (const name of names) {
      const tags = new Set<string>();
      let any = false;
      for (const inst of this.#instances(name)) {
        if (!matchesMeta(this.#nodes.get(inst.node) as NodeRecord, nodeMeta)) continue;
        any = true;
        for (const t of inst.tags) tags.add(t);
      }
      if (any) value[name] = [...tags].sort(byString);
    }
    return { value, index: this.#servicesIndex };
  }

  /** #instances lists a service's instances ordered by node name then service ID. */
  #instances(name: string): CatalogService[] {
    const nodes = this.#byName.get(name);
    if (!nodes) return [];
    const out: CatalogService[] = [];
    for (const node of [...nodes.keys()].sort(byString)) {
      const table = this.#services.get(node);
      for (const id of [...(nodes.get(node) ?? [])].sort(byString)) {
        const s = table?.get(id);
        if (s) out.push(s);
      }
    }
    return out;
  }

  /** serviceNodes lists a service's instances with their nodes (GET /v1/catalog/service/:name). */
  serviceNodes(
    name: string,
    query: ServiceQuery = {},
  ): Indexed<{ node: CatalogNode; service: CatalogService }[]> {
    const value: { node: CatalogNode; service: CatalogService }[] = [];
    for (const service of this.#instances(name)) {
      const node = this.#nodes.get(service.node);
      if (!node || !hasTags(service, query.tags) || !matchesMeta(node, query.nodeMeta)) continue;
      value.push({ node, service });
    }
    return { value, index: this.serviceIndex(name) };
  }

  /** nodeServices returns a node and its instances (GET /v1/catalog/node/:node). */
  nodeServices(
    name: string,
  ): Indexed<{ node: CatalogNode; services: CatalogService[] } | undefined> {
    const index = Math.max(this.#nodesIndex, this.#servicesIndex);
    const node = this.#nodes.get(name);
    if (!node) return { value: undefined, index };
    const services = [...(this.#services.get(name)?.values() ?? [])].sort((a, b) =>
      byString(a.id, b.id),
    );
    return { value: { node, services }, index };
  }

  /** #checksOf lists a node's checks sorted by CheckID. */
  #checksOf(node: string): CatalogCheck[] {
    return [...(this.#checks.get(node)?.values() ?? [])].sort(compareChecks);
  }

  /** #checkIdsOf is the IDs of a node's checks bound to serviceId ('' = node-level checks). */
  #checkIdsOf(node: string, serviceId: string): ReadonlySet<string> {
    return this.#checksByService.get(node)?.get(serviceId) ?? EMPTY_IDS;
  }

  #pushChecks(out: CatalogCheck[], node: string, serviceId: string): void {
    const table = this.#checks.get(node);
    for (const id of this.#checkIdsOf(node, serviceId)) {
      const check = table?.get(id);
      if (check) out.push(check);
    }
  }

  /**
   * instanceChecks lists the checks of one instance: the node-level checks (serfHealth first) and
   * the instance's own, sorted by CheckID, without looking at the node's other checks.
   */
  instanceChecks(node: string, serviceId: string): CatalogCheck[] {
    const out: CatalogCheck[] = [];
    this.#pushChecks(out, node, '');
    if (serviceId !== '') this.#pushChecks(out, node, serviceId);
    return out.sort(compareChecks);
  }

  /** serviceChecksOf lists the checks bound to one instance (node-level ones excluded), sorted. */
  serviceChecksOf(node: string, serviceId: string): CatalogCheck[] {
    if (serviceId === '') return [];
    const out: CatalogCheck[] = [];
    this.#pushChecks(out, node, serviceId);
    return out.sort(compareChecks);
  }

  /** check returns one check row. */
  check(node: string, checkId: string): CatalogCheck | undefined {
    return this.#checks.get(node)?.get(checkId);
  }

  /** serviceOf returns one instance row. */
  serviceOf(node: string, serviceId: string): CatalogService | undefined {
    return this.#services.get(node)?.get(serviceId);
  }

  /** nodeChecks lists a node's checks (GET /v1/health/node/:node). */
  nodeChecks(node: string): Indexed<CatalogCheck[]> {
    return { value: this.#checksOf(node), index: this.#checksIndex };
  }

  /** serviceChecks lists the checks bound to instances of a service (GET /v1/health/checks/:s). */
  serviceChecks(name: string, nodeMeta?: NodeMetaFilter): Indexed<CatalogCheck[]> {
    const value: CatalogCheck[] = [];
    for (const inst of this.#instances(name)) {
      const node = this.#nodes.get(inst.node);
      if (!node || !matchesMeta(node, nodeMeta)) continue;
      value.push(...this.serviceChecksOf(inst.node, inst.id));
    }
    return { value, index: this.#checksIndex };
  }

  /** checksInState lists every check in a state, or all for 'any' (GET /v1/health/state/:s). */
  checksInState(state: CheckStatus | 'any', nodeMeta?: NodeMetaFilter): Indexed<CatalogCheck[]> {
    const value: CatalogCheck[] = [];
    for (const name of [...this.#checks.keys()].sort(byString)) {
      const node = this.#nodes.get(name);
      if (node && !matchesMeta(node, nodeMeta)) continue;
      for (const c of this.#checksOf(name))
        if (state === 'any' || c.status === state) value.push(c);
    }
    return { value, index: this.#checksIndex };
  }

  /** healthService lists a service's instances with their checks (GET /v1/health/service/:s). */
  healthService(name: string, query: HealthServiceQuery = {}): Indexed<HealthEntry[]> {
    const value: HealthEntry[] = [];
    for (const { node, service } of this.serviceNodes(name, query).value) {
      const checks = this.instanceChecks(node.node, service.id);
      // ?passing: every check, node-level serfHealth included, must pass.
      if (query.passing && checks.some((c) => c.status !== 'passing')) continue;
      value.push({ node, service, checks });
    }
    return { value, index: this.serviceIndex(name) };
  }

  /** hasService tells whether a service name has at least one instance. */
  hasService(name: string): boolean {
    return this.#byName.has(name);
  }

  /** serviceNames lists every registered service name, sorted. */
  serviceNames(): string[] {
    return [...this.#byName.keys()].sort(byString);
  }

  // --- snapshots -----------------------------------------------------------------------------

  /** toSnapshot captures the whole catalog as plain data. */
  toSnapshot(): CatalogSnapshotData {
    const services: CatalogService[] = [];
    for (const table of this.#services.values()) services.push(...table.values());
    const checks: CatalogCheck[] = [];
    for (const table of this.#checks.values()) checks.push(...table.values());
    return {
      nodesIndex: this.#nodesIndex,
      servicesIndex: this.#servicesIndex,
      checksIndex: this.#checksIndex,
      lastExtinction: this.#lastExtinction,
      serviceIndexes: [...this.#serviceIndex.entries()],
      nodes: [...this.#nodes.values()],
      services,
      checks,
    };
  }

  /** fromSnapshot builds a catalog from {@link toSnapshot} data (already validated). */
  static fromSnapshot(data: CatalogSnapshotData): CatalogState {
    const state = new CatalogState();
    state.#nodesIndex = data.nodesIndex;
    state.#servicesIndex = data.servicesIndex;
    state.#checksIndex = data.checksIndex;
    state.#lastExtinction = data.lastExtinction;
    for (const n of data.nodes) state.#nodes.set(n.node, n);
    for (const s of data.services) {
      const table = getOrCreate(state.#services, s.node, () => new Map());
      table.set(s.id, s);
      const nodes = getOrCreate(state.#byName, s.service, () => new Map());
      const ids = getOrCreate(nodes, s.node, () => new Set());
      ids.add(s.id);
    }
    for (const c of data.checks) {
      const table = getOrCreate(state.#checks, c.node, () => new Map());
      table.set(c.checkId, c);
      state.#indexCheck(c);
    }
    for (const [name, index] of data.serviceIndexes) state.#serviceIndex.set(name, index);
    return state;
  }
}
