/**
 * `src/reload`: safe replacement of target files and the check/reload commands. It receives
 * rendered content and knows nothing of templates or backends.
 */
export { createTargetSyncer, type TargetSyncerOptions } from './target-syncer.js';
export {
  createCommandRunner,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type CommandRunnerOptions,
} from './command-runner.js';
export { parseMode, formatOctalMode } from './parse-mode.js';
export { resolveOwner, type ResolveOwnerOptions, type ResolvedOwner } from './resolve-owner.js';
export { renderCommand, type CommandVars } from './render-command.js';
export { formatFileMode } from './go-format.js';
export type {
  CommandRunner,
  RunCommandOptions,
  SyncRequest,
  SyncResult,
  TargetSyncer,
} from './types.js';
