/** Test helper: confd's integration fixtures. Not a test file itself (no `.test.` in the name). */
import { join } from 'node:path';
import { sharedDir } from '../helpers/paths.js';
import { needsDirectory } from '../helpers/system-tools.js';

/** integrationDir is confd's `integration` folder (`confdir/templates`, `expect`). */
export const integrationDir = join(sharedDir, 'confd-integration', 'integration');

/**
 * needsConfdFixtures is the `skip` option of a test that reads confd's integration fixtures: they
 * sit beside the checkout (`../shared/confd-integration`), not in it, so a plain clone skips those
 * tests with the reason; `CI=true` runs them.
 */
export function needsConfdFixtures(): string | false {
  return needsDirectory(integrationDir, "confd's integration fixtures");
}

/** integrationKeys returns a new map of the keys confd's integration test writes everywhere. */
export function integrationKeys(): Map<string, string> {
  return new Map([
    ['/key', 'foobar'],
    ['/database/host', '127.0.0.1'],
    ['/database/password', 'p@sSw0rd'],
    ['/database/port', '3306'],
    ['/database/username', 'confd'],
    ['/upstream/app1', '10.0.1.10:8080'],
    ['/upstream/app2', '10.0.1.11:8080'],
    ['/nested/east/app1', '10.0.1.10:8080'],
    ['/nested/west/app2', '10.0.1.11:8080'],
  ]);
}
