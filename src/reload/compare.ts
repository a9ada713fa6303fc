/** Deciding whether the destination differs from the stage file, with confd's log lines. */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
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
  let destStat;
  try {
    destStat = await stat(dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { changed: true, exists: false, contentChanged: true };
    }
    logger.error(errorMessage(err));
    return { changed: true, exists: false, contentChanged: true };
  }
  let current: Buffer | undefined;
  if (destStat.isFile()) {
    try {
      current = await readFile(dest);
    } catch (err) {
      logger.error(errorMessage(err));
      return { changed: true, exists: true, contentChanged: true };
    }
  }
  // Not a regular file (a directory, or a FIFO that would block a read): only the metadata lines.
  const stageMd5 = md5(content);
  const destMd5 = current && md5(current);
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
