/** The DNS interface: server, answer building, name parsing and the catalog view. */
export * from './types.js';
export * from './catalog-view.js';
export * from './query-name.js';
export * from './answer.js';
export * from './dns-server.js';
