/** Paths of the repository, from the compiled test's location (dist/test/helpers/). */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** repoRoot is the checkout's top directory. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** confdBin is the `confd` executable shim. */
export const confdBin = join(repoRoot, 'bin', 'confd');
/** sharedDir is ../shared beside the checkout (confd's integration fixtures, references). */
export const sharedDir = join(repoRoot, '..', 'shared');
