/**
 * Maps engine errors to Consul's HTTP answers: plain-text bodies, 413 for size limits, 400 for
 * refused commands, and 500 with the message for everything else (Consul's default).
 */
import { ErrorCode, errorMessage, isConfdError } from '../../errors.js';
import type { RequestContext } from './context.js';
import { sendText } from './context.js';

/** sendStoreError answers a failed store call; `acquireSession` names the session of a KV acquire. */
export function sendStoreError(ctx: RequestContext, err: unknown, acquireSession?: string): void {
  if (isConfdError(err, ErrorCode.STORE_SESSION_INVALID) && acquireSession !== undefined) {
    // Consul's state store: fmt.Errorf("invalid session %#v", session) -> 500.
    return sendText(ctx, 500, `invalid session ${JSON.stringify(acquireSession)}`);
  }
  if (
    isConfdError(err, ErrorCode.STORE_VALUE_TOO_LARGE) ||
    isConfdError(err, ErrorCode.STORE_TXN_TOO_LARGE)
  ) {
    return sendText(ctx, 413, err.message);
  }
  if (isConfdError(err, ErrorCode.STORE_INVALID_COMMAND)) return sendText(ctx, 400, err.message);
  if (!isConfdError(err)) ctx.config.logger.error(`http: store call failed: ${errorMessage(err)}`);
  sendText(ctx, 500, errorMessage(err));
}
