/**
 * Test harness: serves the service-discovery routes (catalog, health, agent services/checks,
 * events) through the real HTTP API on 127.0.0.1:0, on the store engine (catalog commands through
 * its log) with a started LocalAgent.
 */
import type { TestContext } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { EventLog, LocalAgent } from '../../src/store/catalog/index.js';
import type { LocalAgentOptions } from '../../src/store/catalog/index.js';
import { createHttpApi } from '../../src/store/http/index.js';
import { createStore, type StoreEngine } from '../../src/store/store.js';

/** ServiceApi is a running harness. */
export interface ServiceApi {
  readonly port: number;
  readonly store: StoreEngine;
  readonly agent: LocalAgent;
  readonly events: EventLog;
}

/** startServiceApi starts the harness and closes it after the test. */
export async function startServiceApi(
  t: TestContext,
  agentOptions: Partial<LocalAgentOptions> = {},
): Promise<ServiceApi> {
  const store = await createStore({ dev: true, nodeName: 'node1', timerIntervalMs: 0 });
  const agent = new LocalAgent({
    store,
    logger: silentLogger,
    nodeName: 'node1',
    nodeId: '11111111-2222-3333-4444-555555555555',
    address: '127.0.0.1',
    datacenter: 'dc1',
    ...agentOptions,
  });
  await agent.start();
  const events = new EventLog();
  const sd = { catalog: store, agent, events };
  const api = createHttpApi({ store, nodeName: 'node1', services: sd });
  const { port } = await api.listen(0, '127.0.0.1');
  t.after(async () => {
    await api.close();
    await agent.close();
    await store.close();
  });
  return { port, store, agent, events };
}
