/** The catalog sub-state: rows, commands, state machine, JSON shapes, request parsing, snapshots. */
export * from './types.js';
export * from './catalog-state.js';
export * from './shapes.js';
export * from './requests.js';
export * from './snapshot.js';
export * from './catalog-store.js';
export * from './local-agent.js';
export * from './events.js';
