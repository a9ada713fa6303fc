/**
 * The operator endpoints on a lone server: it describes itself as a one-voter Raft configuration
 * (Consul's shapes), refuses malformed peer removals with Consul's 400 texts, and reports itself
 * healthy to autopilot.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startApi } from '../helpers/agent.js';

test('a lone server is the one voter and leader of its Raft configuration', async (t) => {
  const { request, store } = await startApi(t, { serverAddr: '127.0.0.1:8300', nodeId: 'id-1' });
  await store.kvSet('a', Buffer.from('1'));
  const reply = await request('GET', '/v1/operator/raft/configuration');
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.text), {
    Servers: [
      {
        ID: 'id-1',
        Node: 'test-node',
        Address: '127.0.0.1:8300',
        Leader: true,
        ProtocolVersion: '3',
        Voter: true,
        LastIndex: store.lastIndex,
      },
    ],
    Index: store.lastIndex,
  });
  const health = await request('GET', '/v1/operator/autopilot/health');
  assert.equal(health.status, 200);
  const body = JSON.parse(health.text) as { Healthy: boolean; FailureTolerance: number };
  assert.equal(body.Healthy, true);
  assert.equal(body.FailureTolerance, 0);
});

test('removing a peer needs exactly one of ?id and ?address, and a known peer', async (t) => {
  const { request } = await startApi(t);
  const none = await request('DELETE', '/v1/operator/raft/peer');
  assert.equal(none.status, 400);
  assert.equal(
    none.text,
    "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove",
  );
  const both = await request('DELETE', '/v1/operator/raft/peer?id=x&address=y');
  assert.equal(both.status, 400);
  assert.equal(both.text, 'Must specify only one of ?id or ?address');
  const unknown = await request('DELETE', '/v1/operator/raft/peer?address=10.0.0.9:8300');
  assert.equal(unknown.status, 500);
  assert.equal(unknown.text, 'address "10.0.0.9:8300" was not found in the Raft configuration');
  const wrongMethod = await request('GET', '/v1/operator/raft/peer');
  assert.equal(wrongMethod.status, 405);
});
