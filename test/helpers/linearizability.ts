/**
 * Test helper: a linearizability checker for histories of one register with compare-and-set, as
 * Jepsen's Knossos and porcupine check etcd (Wing & Gong's search with Lowe's memoisation of
 * (linearized set, state) pairs). No such checker is packaged for npm.
 *
 * The model is an integer register that starts at 0 (an absent key). Clients read it, or CAS it
 * from the value they read to that value + 1. Values only grow, so each value is written at most
 * once and "the key's ModifyIndex is still the one I read" is the same test as "the value is
 * still the one I read": the index-based CAS of Consul maps onto this model exactly.
 *
 * An operation whose outcome is unknown (an error or timeout after the request was sent) may
 * have taken effect at any point after its call, or never: it is given no return time.
 */

/** Op is one recorded operation on the register. */
export type Op =
  | { readonly kind: 'read'; readonly call: number; readonly ret: number; readonly value: number }
  | {
      readonly kind: 'cas';
      readonly call: number;
      /** Infinity when the outcome is unknown. */
      readonly ret: number;
      readonly from: number;
      /** true/false as answered; undefined when unknown. */
      readonly ok: boolean | undefined;
    };

interface Entry {
  readonly id: number;
  readonly isCall: boolean;
  readonly time: number;
  prev: Entry | undefined;
  next: Entry | undefined;
  /** A call's return entry. */
  match: Entry | undefined;
}

/** step applies op to state: the next state, or undefined when op cannot happen in state. */
function step(state: number, op: Op): number | undefined {
  if (op.kind === 'read') return op.value === state ? state : undefined;
  if (op.ok === false) return op.from === state ? undefined : state;
  if (op.ok === true) return op.from === state ? state + 1 : undefined;
  // Unknown: taking effect is the only meaningful choice here; never taking effect is the same as
  // being linearized after everything else, which the search reaches on its own.
  return op.from === state ? state + 1 : state;
}

/**
 * isLinearizable tells whether the history has a linearization: an order of all operations that
 * respects real time (an op that returned before another was called comes first) in which every
 * operation's answer is the register's.
 */
export function isLinearizable(ops: readonly Op[]): boolean {
  const raw: Entry[] = [];
  ops.forEach((op, id) => {
    const call: Entry = {
      id,
      isCall: true,
      time: op.call,
      prev: undefined,
      next: undefined,
      match: undefined,
    };
    const ret: Entry = {
      id,
      isCall: false,
      time: op.ret,
      prev: undefined,
      next: undefined,
      match: undefined,
    };
    call.match = ret;
    raw.push(call, ret);
  });
  // Calls before returns at the same instant: overlapping ops may be ordered either way.
  raw.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = {
    id: -1,
    isCall: false,
    time: -Infinity,
    prev: undefined,
    next: undefined,
    match: undefined,
  };
  let last = head;
  for (const e of raw) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  const lift = (e: Entry) => {
    e.prev!.next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match!;
    m.prev!.next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Entry) => {
    const m = e.match!;
    m.prev!.next = m;
    if (m.next) m.next.prev = m;
    e.prev!.next = e;
    if (e.next) e.next.prev = e;
  };

  const linearized = new Uint8Array(ops.length);
  const cache = new Set<string>();
  const stack: { entry: Entry; state: number }[] = [];
  let state = 0;
  let entry = head.next;
  while (head.next !== undefined) {
    if (entry === undefined) return false;
    if (entry.isCall) {
      const next = step(state, ops[entry.id]);
      if (next !== undefined) {
        linearized[entry.id] = 1;
        const key = `${next}:${Buffer.from(linearized).toString('base64')}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push({ entry, state });
          state = next;
          lift(entry);
          entry = head.next;
          continue;
        }
        linearized[entry.id] = 0;
      }
      entry = entry.next;
    } else {
      // A return reached before its call was linearized: undo the last choice.
      const top = stack.pop();
      if (top === undefined) return false;
      state = top.state;
      linearized[top.entry.id] = 0;
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return true;
}
