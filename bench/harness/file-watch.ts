/**
 * Seeing a target file reach a wanted content as soon as it is renamed into place: fs.watch on the
 * file's directory (targets are replaced by rename) plus reads on demand. {@link timeUntilFile}
 * times it from an action's answer.
 */
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/** FileWatch is a running watch for one file's wanted content. */
export interface FileWatch {
  /** performance.now() taken before the read that first saw the wanted content; NaN until then. */
  readonly seenAt: number;
  /** Resolves once the wanted content has been seen. */
  readonly seen: Promise<void>;
  /** check reads the file now, unless it has been seen already. */
  check(): Promise<void>;
  /** close stops watching the directory. */
  close(): void;
}

/**
 * watchFile watches `target`'s directory and reads `target` on every event naming it, until its
 * text satisfies `done`. `onEvent`, if given, sees every event's file name in the directory.
 */
export function watchFile(
  target: string,
  done: (text: string) => boolean,
  onEvent?: (filename: string | null) => void,
): FileWatch {
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
    onEvent?.(filename);
    if (filename === base) void check();
  });
  return {
    get seenAt() {
      return seenAt;
    },
    seen,
    check,
    close: () => watcher.close(),
  };
}

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
  const file = watchFile(target, done);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  let answeredAt: number;
  try {
    await start();
    answeredAt = performance.now();
    await file.check();
    await Promise.race([file.seen, timedOut]);
  } finally {
    clearTimeout(timer);
    file.close();
  }
  if (Number.isNaN(file.seenAt)) throw new Error(`${target} not updated within ${timeoutMs} ms`);
  return { ms: Math.max(0, file.seenAt - answeredAt), beforeAnswer: file.seenAt <= answeredAt };
}
