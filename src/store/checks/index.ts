/** Health-check runners: HTTP, TCP, TTL and script checks with injected timers. */
export * from './types.js';
export * from './probes.js';
export * from './check-runner.js';
