/**
 * The single registry of typed errors. Every error the project raises on purpose carries a stable
 * `code` from {@link ErrorCode}; callers branch on `err.code`, never on the message. Each code has a
 * row in `docs/errors.md` (a test keeps the two in step).
 */

/** ErrorCode lists every stable error code, grouped by area (`CFD_ERR_<AREA>_<WHAT>`). */
export const ErrorCode = {
  // configuration and command line
  CONFIG_INVALID: 'CFD_ERR_CONFIG_INVALID',
  CONFIG_FLAG: 'CFD_ERR_CONFIG_FLAG',
  // template resources (conf.d/*.toml)
  RESOURCE_INVALID: 'CFD_ERR_RESOURCE_INVALID',
  RESOURCE_MISSING_TEMPLATE: 'CFD_ERR_RESOURCE_MISSING_TEMPLATE',
  // template parsing and execution
  TEMPLATE_PARSE: 'CFD_ERR_TEMPLATE_PARSE',
  TEMPLATE_EXEC: 'CFD_ERR_TEMPLATE_EXEC',
  TEMPLATE_KEY_MISSING: 'CFD_ERR_TEMPLATE_KEY_MISSING',
  // staging, swapping, commands
  RELOAD_STAGE: 'CFD_ERR_RELOAD_STAGE',
  RELOAD_SWAP: 'CFD_ERR_RELOAD_SWAP',
  RELOAD_CHECK_FAILED: 'CFD_ERR_RELOAD_CHECK_FAILED',
  RELOAD_COMMAND_FAILED: 'CFD_ERR_RELOAD_COMMAND_FAILED',
  RELOAD_COMMAND_TIMEOUT: 'CFD_ERR_RELOAD_COMMAND_TIMEOUT',
  // backends
  BACKEND_UNSUPPORTED: 'CFD_ERR_BACKEND_UNSUPPORTED',
  BACKEND_UNREACHABLE: 'CFD_ERR_BACKEND_UNREACHABLE',
  BACKEND_RESPONSE: 'CFD_ERR_BACKEND_RESPONSE',
  // the bundled store
  STORE_CLOSED: 'CFD_ERR_STORE_CLOSED',
  STORE_CORRUPT: 'CFD_ERR_STORE_CORRUPT',
  STORE_IO: 'CFD_ERR_STORE_IO',
  STORE_INVALID_COMMAND: 'CFD_ERR_STORE_INVALID_COMMAND',
  STORE_VALUE_TOO_LARGE: 'CFD_ERR_STORE_VALUE_TOO_LARGE',
  STORE_SESSION_INVALID: 'CFD_ERR_STORE_SESSION_INVALID',
  STORE_TXN_TOO_LARGE: 'CFD_ERR_STORE_TXN_TOO_LARGE',
  STORE_SESSION_REFUSED: 'CFD_ERR_STORE_SESSION_REFUSED',
  STORE_NO_LEADER: 'CFD_ERR_STORE_NO_LEADER',
  STORE_LEADERSHIP_LOST: 'CFD_ERR_STORE_LEADERSHIP_LOST',
  // the cluster: membership and forwarding
  CLUSTER_MEMBER_CONFLICT: 'CFD_ERR_CLUSTER_MEMBER_CONFLICT',
  CLUSTER_REFUSED: 'CFD_ERR_CLUSTER_REFUSED',
  CLUSTER_NO_SERVERS: 'CFD_ERR_CLUSTER_NO_SERVERS',
  // cluster transport (agent-to-agent traffic, src/transport)
  CLUSTER_KEY_INVALID: 'CFD_ERR_CLUSTER_KEY_INVALID',
  CLUSTER_LISTEN: 'CFD_ERR_CLUSTER_LISTEN',
  CLUSTER_UNREACHABLE: 'CFD_ERR_CLUSTER_UNREACHABLE',
  CLUSTER_RESPONSE: 'CFD_ERR_CLUSTER_RESPONSE',
  // control flow
  ABORTED: 'CFD_ERR_ABORTED',
} as const;

/** ErrorCodeValue is the union of every stable code string. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** ConfdError is the base class of every typed error in the project. */
export class ConfdError extends Error {
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfdError';
    this.code = code;
  }
}

/** isConfdError tells whether `err` is a ConfdError, optionally with the given code. */
export function isConfdError(err: unknown, code?: ErrorCodeValue): err is ConfdError {
  return err instanceof ConfdError && (code === undefined || err.code === code);
}

/** abortError builds the control-flow error thrown when an AbortSignal fires. */
export function abortError(signal?: AbortSignal): ConfdError {
  return new ConfdError(ErrorCode.ABORTED, 'The operation was aborted', {
    cause: signal?.reason,
  });
}

/** errorMessage renders any thrown value as a one-line message. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
