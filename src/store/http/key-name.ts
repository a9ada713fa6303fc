/**
 * KV key-name checks of current Consul (the CVE-2025-11392 fix, PR #22850): every character is
 * allowed except path traversal (`..` as a path segment, also when URL-encoded once more) and
 * leading or trailing spaces; the agent option `disable_kv_key_validation` turns the check off.
 */

function hasTraversal(key: string): boolean {
  return key.split('/').some((segment) => segment === '..');
}

function decodeOnce(key: string): string {
  if (!key.includes('%')) return key;
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** keyNameProblem returns why `key` is refused (the 400 body), or undefined when it is fine. */
export function keyNameProblem(key: string): string | undefined {
  if (
    hasTraversal(key) ||
    hasTraversal(decodeOnce(key)) ||
    hasTraversal(key.replaceAll('\\', '/'))
  ) {
    return `Invalid key name ${JSON.stringify(key)}: path traversal is not allowed`;
  }
  if (key !== key.trim()) {
    return `Invalid key name ${JSON.stringify(key)}: leading or trailing spaces are not allowed`;
  }
  return undefined;
}
