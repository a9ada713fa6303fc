/**
 * The contract of the health-check runners: what a check is, how results come back, and the
 * injected timers. Runners never touch the catalog; the agent turns results into commands.
 */
import type { CheckDefinition, CheckStatus, CheckType } from '../catalog/types.js';

/** CheckResult is one probe outcome. */
export interface CheckResult {
  readonly status: CheckStatus;
  readonly output: string;
}

/** OnCheckResult receives every status or output change of a check. */
export type OnCheckResult = (checkId: string, status: CheckStatus, output: string) => void;

/** TimerHandle is an opaque timer returned by {@link Timers.setTimeout}. */
export type TimerHandle = object | number;

/** Timers are the injected clock and timer functions (tests pass fake ones). */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** realTimers are the process's own clock and timers (unref'd: checks never keep it alive). */
export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** CheckSpec is a check to run. */
export interface CheckSpec {
  readonly checkId: string;
  /** The service instance it belongs to ('' for a node check). */
  readonly serviceId: string;
  readonly type: CheckType;
  readonly definition: CheckDefinition;
  /** The status the check was registered with (default critical). */
  readonly status?: CheckStatus;
}
