/**
 * Deciding whether the destination differs from the stage file, with confd's log lines. dest is
 * stat'ed and, when small, read synchronously: a few microseconds on a local file, where each
 * thread-pool round trip (five for a stat and a readFile) cost more on every render.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { formatFileMode } from './go-format.js';
import type { StageFile } from './stage-file.js';

/** Comparison is the outcome of {@link compareTarget}. */
export interface Comparison {
  /** dest is missing or differs in uid, gid, mode or content. */
  changed: boolean;
  /** dest exists (and was readable). */
  exists: boolean;
  /** The current content of dest, when it could be read. */
  current?: Buffer;
  /** Only the content differs-or-not part (for the noop diff). */
  contentChanged: boolean;
}

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');

/** Files up to this size are read synchronously; larger ones on the thread pool. */
const SYNC_READ_MAX = 1 << 20;

/**
 * compareTarget is confd's `util.IsConfigChanged`: dest missing means changed without detail;
 * otherwise UID, GID, mode and MD5 are compared and each difference is logged at INFO in that
 * order. An unreadable dest logs ERROR and counts as changed, as upstream.
 */
export async function compareTarget(
  stage: StageFile,
  content: Uint8Array,
  dest: string,
  logger: Logger,
): Promise<Comparison> {
  let destStat: Stats | undefined;
  try {
    destStat = statSync(dest, { throwIfNoEntry: false });
  } catch (err) {
    logger.error(errorMessage(err));
    return { changed: true, exists: false, contentChanged: true };
  }
  if (destStat === undefined) return { changed: true, exists: false, contentChanged: true };
  let current: Buffer | undefined;
  if (destStat.isFile()) {
    try {
      current = destStat.size <= SYNC_READ_MAX ? readFileSync(dest) : await readFile(dest);
    } catch (err) {
      logger.error(errorMessage(err));
      return { changed: true, exists: true, contentChanged: true };
    }
  }
  // Not a regular file (a directory, or a FIFO that would block a read): only the metadata lines.
  // Equal bytes have equal sums: the md5 (and loading node:crypto) is only needed to log a change.
  const same = current?.equals(content) === true;
  const stageMd5 = same ? '' : md5(content);
  const destMd5 = current && (same ? stageMd5 : md5(current));
  if (destStat.uid !== stage.uid) {
    logger.info(`${dest} has UID ${destStat.uid} should be ${stage.uid}`);
  }
  if (destStat.gid !== stage.gid) {
    logger.info(`${dest} has GID ${destStat.gid} should be ${stage.gid}`);
  }
  if (destStat.mode !== stage.mode) {
    logger.info(
      `${dest} has mode ${formatFileMode(destStat.mode)} should be ${formatFileMode(stage.mode)}`,
    );
  }
  if (destMd5 !== undefined && destMd5 !== stageMd5) {
    logger.info(`${dest} has md5sum ${destMd5} should be ${stageMd5}`);
  }
  const contentChanged = destMd5 !== stageMd5;
  const changed =
    contentChanged ||
    destStat.uid !== stage.uid ||
    destStat.gid !== stage.gid ||
    destStat.mode !== stage.mode;
  return { changed, exists: true, current, contentChanged };
}
