/**
 * One timer for many deadlines: a min-heap of items ordered by deadline, with a single
 * `setTimeout` armed for the earliest. Parked blocking queries use it for their `wait` timeouts,
 * so 10,000 parked queries cost one timer, and answering one costs nothing here (lazy deletion:
 * an item that stopped pending is skipped when its deadline comes, and the heap is compacted when
 * such items outnumber the pending ones).
 */

/** Timed is an item with a deadline on the `now()` clock. */
export interface Timed {
  /** When the item expires, in ms on the queue's clock. */
  readonly deadline: number;
  /** False once the item was answered or dropped; it is then skipped. */
  readonly pending: boolean;
}

/** DeadlineQueueOptions configure a {@link DeadlineQueue}. */
export interface DeadlineQueueOptions<T extends Timed> {
  /** Called once for each item still pending when its deadline passes; must not throw. */
  readonly expire: (item: T) => void;
  /** The clock, in ms. Default `performance.now`. */
  readonly now?: () => number;
}

/** Compaction runs only once this many dropped items sit in the heap. */
const compactAtLeast = 1024;

/** DeadlineQueue calls `expire` for each pending item once its deadline has passed. */
export class DeadlineQueue<T extends Timed> {
  readonly #expire: (item: T) => void;
  readonly #now: () => number;
  #heap: T[] = [];
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #compaction: NodeJS.Immediate | undefined;
  /** The deadline the timer is armed for. */
  #armedFor = Infinity;
  #closed = false;

  constructor(options: DeadlineQueueOptions<T>) {
    this.#expire = options.expire;
    this.#now = options.now ?? (() => performance.now());
  }

  /** size is the number of items in the heap, dropped ones included until compaction. */
  get size(): number {
    return this.#heap.length;
  }

  /** add queues a pending item. */
  add(item: T): void {
    if (this.#closed) return;
    this.#push(item);
    if (item.deadline < this.#armedFor) this.#arm(item.deadline);
  }

  /** dropped tells the queue that one queued item stopped pending before its deadline. */
  dropped(): void {
    this.#dropped++;
    if (this.#compaction !== undefined || this.#closed) return;
    if (this.#dropped >= compactAtLeast && this.#dropped * 2 > this.#heap.length) {
      // Later, not now: a wake-up drops thousands of items in one go, and answering them comes
      // first. Compaction releases the dropped items (and what they hold) before their deadline.
      this.#compaction = setImmediate(() => {
        this.#compaction = undefined;
        this.#compact();
      });
    }
  }

  /** close forgets every item and stops the timer. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#disarm();
    if (this.#compaction !== undefined) clearImmediate(this.#compaction);
    this.#compaction = undefined;
    this.#heap = [];
    this.#dropped = 0;
  }

  #arm(deadline: number): void {
    this.#disarm();
    this.#armedFor = deadline;
    // Never fire before the deadline: Node may run a timer up to 1 ms early when its delay has a
    // fraction, and #fire re-arms for anything not yet due.
    const delay = Math.max(1, Math.ceil(deadline - this.#now()));
    this.#timer = setTimeout(() => this.#fire(), delay);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const now = this.#now();
    const due: T[] = [];
    const heap = this.#heap;
    while (heap.length > 0 && heap[0].deadline <= now) {
      const item = this.#pop();
      if (item.pending) due.push(item);
      else this.#dropped--;
    }
    if (heap.length > 0 && !this.#closed) this.#arm(heap[0].deadline);
    // Expire after re-arming: an expire callback may add items.
    for (const item of due) if (item.pending) this.#expire(item);
  }

  #compact(): void {
    const live = this.#heap.filter((item) => item.pending);
    this.#dropped = 0;
    live.sort((a, b) => a.deadline - b.deadline);
    // A sorted array is a valid min-heap.
    this.#heap = live;
  }

  #push(item: T): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].deadline <= item.deadline) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): T {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right].deadline < heap[left].deadline ? right : left;
      if (heap[child].deadline >= last.deadline) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
