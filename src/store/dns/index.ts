/** The DNS interface: server, answer building, name parsing and the catalog views. */
export * from './types.js';
export * from './catalog-view.js';
export * from './http-view.js';
export * from './query-name.js';
export * from './answer.js';
export * from './dns-server.js';
