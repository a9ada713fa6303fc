/**
 * timeUntilFile measures how long after an action's answer a file reaches a wanted content, using
 * fs.watch on the file's directory (targets are replaced by rename) plus a read after the answer.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** FileTiming is the time from the action's answer to the file seen, and whether it came first. */
export interface FileTiming {
  readonly ms: number;
  readonly beforeAnswer: boolean;
}

/** timeUntilFile runs `start`, then waits until `target`'s text satisfies `done`. */
export async function timeUntilFile(
  target: string,
  start: () => Promise<unknown>,
  done: (text: string) => boolean,
  timeoutMs: number,
): Promise<FileTiming> {
  const base = basename(target);
  let seenAt = Number.NaN;
  let checking = false;
  let again = false;
  let resolveSeen: () => void = () => {};
  const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
  // One read at a time; an event arriving during a read triggers one more read afterwards, so a
  // rename that lands while the old content is being read is never missed.
  const check = async (): Promise<void> => {
    if (!Number.isNaN(seenAt)) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        const at = performance.now();
        const text = await readFile(target, 'utf8').catch(() => undefined);
        if (text !== undefined && done(text)) {
          seenAt = at;
          resolveSeen();
          return;
        }
      } while (again);
    } finally {
      checking = false;
    }
  };
  const watcher = watch(dirname(target), (_event, filename) => {
    if (filename === base) void check();
  });
  const timer = setTimeout(resolveSeen, timeoutMs);
  let answeredAt: number;
  try {
    await start();
    answeredAt = performance.now();
    await check();
    await seen;
  } finally {
    clearTimeout(timer);
    watcher.close();
  }
  if (Number.isNaN(seenAt)) throw new Error(`${target} not updated within ${timeoutMs} ms`);
  return { ms: Math.max(0, seenAt - answeredAt), beforeAnswer: seenAt <= answeredAt };
}
