/**
 * The one file-system read the function library makes: confd's `fileExists` (`util.IsFileExist`,
 * an `os.Stat` that is false only when the path does not exist).
 */
import { statSync } from 'node:fs';

/** FileExistsFn tells whether a path exists; injectable so renders stay testable. */
export type FileExistsFn = (path: string) => boolean;

/** statFileExists is confd's IsFileExist: false only on "not exist" (ENOENT), true otherwise. */
export const statFileExists: FileExistsFn = (path) => {
  try {
    statSync(path);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
};
