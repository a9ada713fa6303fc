/** The Consul-compatible HTTP API of the bundled store. */
export { createHttpApi, consulVersion } from './api.js';
/** The options and the handle of {@link createHttpApi}. */
export type { HttpApi, HttpApiOptions } from './api.js';
/** The service-discovery half of the API (catalog, health, agent services, events). */
export type { ServiceDiscovery } from './catalog-routes.js';
export type { ClusterPort } from './context.js';
