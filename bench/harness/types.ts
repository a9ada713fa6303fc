/**
 * The contract between `bench/run.ts` and the benchmarks: every `bench/<name>.bench.ts` default-
 * exports a {@link Bench}; the runner discovers them, filters them by name and prints their
 * {@link Figure} lines.
 */

/** Figure is one result line, e.g. `reads 64c: ours 12,345/s etcd 2,700/s ratio 4.57x ...`. */
export interface Figure {
  readonly line: string;
  /** true = target met, false = MISSED, undefined = informational only. */
  readonly ok?: boolean;
}

/** BenchContext is what the runner gives each bench. */
export interface BenchContext {
  /** A fresh directory for this bench's data dirs and scripts (removed afterwards). */
  readonly workDir: string;
  /** The checkout's top directory (for `bin/confd`). */
  readonly repoRoot: string;
  /**
   * `--quick`: a smoke run with tiny sizes (1 s wrk runs, few watchers and keys) to check that the
   * bench works; its figures are not comparable and must not be recorded.
   */
  readonly quick: boolean;
  /** Aborted on SIGINT; long waits should honour it. */
  readonly signal: AbortSignal;
  /** log prints a progress line to stderr. */
  log(message: string): void;
  /** defer registers a cleanup (stop a server) run after the bench, last registered first. */
  defer(cleanup: () => Promise<unknown> | void): void;
}

/** Bench is one benchmark: a name to filter on and a run that returns its figures. */
export interface Bench {
  /** Short name matched by the `npm run bench -- <filter>` argument, e.g. `reads`. */
  readonly name: string;
  /** One line saying what is measured. */
  readonly description: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}
