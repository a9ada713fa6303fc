/** The failure detector against a real store, with a fake clock and injected probes. */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { startDetector } from '../../src/membership/detector.js';
import type { MemberRecord, MemberStatus } from '../../src/store/members/index.js';
import { createStore } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait-for.js';

function member(name: string, status: MemberStatus, statusTime = 0): MemberRecord {
  return {
    name,
    id: `id-${name}`,
    addr: '127.0.0.2',
    port: 8301,
    tags: { role: 'node', dc: 'dc1' },
    status,
    statusTime,
  };
}

/** setup runs a detector over a dev store; `answers` decides each probe (default: answered). */
async function setup(t: TestContext, wall = { now: 0 }) {
  const store = await createStore({ dev: true, nodeName: 's1', timerIntervalMs: 0 });
  t.after(() => store.close());
  const clock = new FakeClock();
  const answers = new Map<string, boolean>();
  const probes: string[] = [];
  const stop = new AbortController();
  t.after(() => stop.abort());
  const detector = startDetector({
    members: () => store.membersState().list(),
    self: 's1',
    probe: (m) => {
      probes.push(m.name);
      return Promise.resolve(answers.get(m.name) ?? true);
    },
    setStatus: async (m, status) => {
      await store.memberApply({
        type: 'member-set',
        member: { ...m, status, statusTime: wall.now },
        cas: m.modifyIndex,
      });
    },
    remove: async (name, deregister) => {
      await store.memberApply({ type: 'member-remove', name, deregister });
    },
    logger: silentLogger,
    clock,
    wallClock: () => wall.now,
    timing: { probeIntervalMs: 1000, suspicionMs: 4000, reapIntervalMs: 1000 },
    signal: stop.signal,
  });
  const status = (name: string) => store.membersState().get(name)?.status;
  /** seconds runs the detector for n probe intervals of fake time. */
  const seconds = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await clock.nextSleep();
      await detector.runRound();
    }
  };
  return { store, clock, answers, probes, status, seconds, wall };
}

test('an alive member is failed only after the whole suspicion time without an answer', async (t) => {
  const { store, answers, status, seconds, probes } = await setup(t);
  await store.memberApply({ type: 'member-set', member: member('s1', 'alive') });
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await seconds(2);
  assert.equal(status('c1'), 'alive');
  assert.ok(!probes.includes('s1'), 'the server never probes itself');
  answers.set('c1', false);
  await seconds(3);
  assert.equal(status('c1'), 'alive', 'three missed probes are not enough');
  await seconds(2);
  await waitFor(() => status('c1') === 'failed', { what: 'c1 failed' });
  assert.equal(store.catalogState().check('c1', 'serfHealth')?.status, 'critical');
});

test('a member that misses probes for a second (a busy event loop) stays alive', async (t) => {
  const { store, answers, status, seconds } = await setup(t);
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  for (let i = 0; i < 5; i++) {
    answers.set('c1', false);
    await seconds(2);
    answers.set('c1', true);
    await seconds(1);
  }
  assert.equal(status('c1'), 'alive');
});

test('a failed member that answers again is alive, and a re-joined one gets a fresh suspicion time', async (t) => {
  const { store, answers, status, seconds } = await setup(t);
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  answers.set('c1', false);
  await seconds(6);
  await waitFor(() => status('c1') === 'failed');
  answers.set('c1', true);
  await seconds(1);
  await waitFor(() => status('c1') === 'alive', { what: 'c1 alive again' });
  assert.equal(store.catalogState().check('c1', 'serfHealth')?.status, 'passing');
  // Failed again, then joined anew (a restart): not failed at the next miss.
  answers.set('c1', false);
  await seconds(6);
  await waitFor(() => status('c1') === 'failed');
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await seconds(2);
  assert.equal(status('c1'), 'alive');
});

test('a leaving member is left once it stops answering, and deregistered', async (t) => {
  const { store, answers, status, seconds } = await setup(t);
  await store.memberApply({ type: 'member-set', member: member('c1', 'alive') });
  await store.memberApply({ type: 'member-set', member: member('c1', 'leaving') });
  await seconds(1);
  assert.equal(status('c1'), 'leaving');
  answers.set('c1', false);
  await seconds(1);
  await waitFor(() => status('c1') === 'left', { what: 'c1 left' });
  assert.equal(store.catalogState().node('c1'), undefined);
});

test('failed members are reaped after reconnect_timeout, left ones forgotten after the tombstone time', async (t) => {
  const wall = { now: 1_000_000 };
  const { store, answers, status, seconds } = await setup(t, wall);
  await store.memberApply({ type: 'member-set', member: member('c1', 'failed', wall.now) });
  await store.memberApply({ type: 'member-set', member: member('c2', 'left', wall.now) });
  answers.set('c1', false);
  await seconds(2);
  assert.equal(status('c1'), 'failed');
  wall.now += 24 * 3600_000;
  await seconds(2);
  await waitFor(() => status('c2') === undefined, { what: 'c2 forgotten' });
  assert.equal(status('c1'), 'failed');
  wall.now += 48 * 3600_000;
  await seconds(2);
  await waitFor(() => status('c1') === undefined, { what: 'c1 reaped' });
  assert.equal(store.catalogState().node('c1'), undefined);
});
