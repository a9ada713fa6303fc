/**
 * Consul's JSON shapes of catalog rows, with Go's field order: nodes, the flattened ServiceNode of
 * /v1/catalog/service, agent services, health entries and checks.
 */
import type { CatalogState } from './catalog-state.js';
import type {
  CatalogCheck,
  CatalogNode,
  CatalogService,
  CheckDefinition,
  HealthEntry,
} from './types.js';

/** nodeJson renders a node as /v1/catalog/nodes does. */
export function nodeJson(n: CatalogNode) {
  return {
    ID: n.id,
    Node: n.node,
    Address: n.address,
    Datacenter: n.datacenter,
    TaggedAddresses: n.taggedAddresses,
    Meta: n.meta,
    CreateIndex: n.createIndex,
    ModifyIndex: n.modifyIndex,
  };
}

function weightsJson(s: CatalogService) {
  return { Passing: s.weights.passing, Warning: s.weights.warning };
}

/** serviceNodeJson renders an instance and its node flattened, as /v1/catalog/service does. */
export function serviceNodeJson(entry: { node: CatalogNode; service: CatalogService }) {
  const { node: n, service: s } = entry;
  return {
    ID: n.id,
    Node: n.node,
    Address: n.address,
    Datacenter: n.datacenter,
    TaggedAddresses: n.taggedAddresses,
    NodeMeta: n.meta,
    ServiceKind: s.kind,
    ServiceID: s.id,
    ServiceName: s.service,
    ServiceTags: [...s.tags],
    ServiceAddress: s.address,
    ServiceTaggedAddresses: s.taggedAddresses ?? undefined,
    ServiceWeights: weightsJson(s),
    ServiceMeta: s.meta,
    ServicePort: s.port,
    ServiceEnableTagOverride: s.enableTagOverride,
    ServiceProxy: { MeshGateway: {}, Expose: {} },
    ServiceConnect: {},
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}

/** serviceJson renders an instance as the `Service` of health entries and catalog/node. */
export function serviceJson(s: CatalogService) {
  return {
    ID: s.id,
    Service: s.service,
    Tags: [...s.tags],
    Address: s.address,
    TaggedAddresses: s.taggedAddresses ?? undefined,
    Meta: s.meta,
    Port: s.port,
    Weights: weightsJson(s),
    EnableTagOverride: s.enableTagOverride,
    CreateIndex: s.createIndex,
    ModifyIndex: s.modifyIndex,
  };
}

/** agentServiceJson renders an instance as /v1/agent/services does. */
export function agentServiceJson(s: CatalogService, datacenter: string) {
  return {
    ID: s.id,
    Service: s.service,
    Tags: [...s.tags],
    Meta: s.meta,
    Port: s.port,
    Address: s.address,
    TaggedAddresses: s.taggedAddresses ?? undefined,
    Weights: weightsJson(s),
    EnableTagOverride: s.enableTagOverride,
    Datacenter: datacenter,
  };
}

/** definitionJson renders a check definition as Consul's HealthCheckDefinition. */
export function definitionJson(d: CheckDefinition) {
  return {
    HTTP: d.http,
    Header: d.header,
    Method: d.method,
    Body: d.body,
    TCP: d.tcp,
    Interval: d.interval,
    Timeout: d.timeout,
    DeregisterCriticalServiceAfter: d.deregisterCriticalServiceAfter,
  };
}

/** checkIdentityJson is the leading fields of a check in Consul's JSON, up to its ServiceID. */
export function checkIdentityJson(c: CatalogCheck) {
  return {
    Node: c.node,
    CheckID: c.checkId,
    Name: c.name,
    Status: c.status,
    Notes: c.notes,
    Output: c.output,
    ServiceID: c.serviceId,
  };
}

/** checkJson renders a check; ServiceName/ServiceTags come from the instance it belongs to. */
export function checkJson(c: CatalogCheck, state: CatalogState) {
  const service = c.serviceId === '' ? undefined : state.serviceOf(c.node, c.serviceId);
  return {
    ...checkIdentityJson(c),
    ServiceName: service?.service ?? '',
    ServiceTags: service ? [...service.tags] : [],
    Type: c.type === 'maintenance' || c.type === 'serf' ? '' : c.type,
    Definition: definitionJson(c.definition),
    CreateIndex: c.createIndex,
    ModifyIndex: c.modifyIndex,
  };
}

/** healthEntryJson renders one /v1/health/service element. */
export function healthEntryJson(entry: HealthEntry, state: CatalogState) {
  return {
    Node: nodeJson(entry.node),
    Service: serviceJson(entry.service),
    Checks: entry.checks.map((c) => checkJson(c, state)),
  };
}

/** nodeServicesJson renders /v1/catalog/node/:node (null for an unknown node). */
export function nodeServicesJson(
  value: { node: CatalogNode; services: CatalogService[] } | undefined,
) {
  if (!value) return null;
  const services: Record<string, ReturnType<typeof serviceJson>> = {};
  for (const s of value.services) services[s.id] = serviceJson(s);
  return { Node: nodeJson(value.node), Services: services };
}
