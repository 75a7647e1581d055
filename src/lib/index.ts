// The public library API (what the CLI and other programs import).
export {
  loadBinding,
  loadBindingFrom,
  addonCandidates,
  isBindingError,
  BUILD_COMMAND,
  type Binding,
  type BindingError,
  type FormatCounts,
  type NdjsonFormatter,
  type NdjsonProgress,
  type NdjsonSelection,
  type BatchCallback,
  type RawStatus,
  type RawTarget,
  type RawTargetInfo,
  type RawVersion,
  type StreamHandle,
  type SyscallEntry,
} from './binding.js';
export {
  Monitor,
  parseErrno,
  loadedModuleApiVersion,
  PID_MAX,
  DEFAULT_BATCH,
  type TargetSpec,
  type VersionInfo,
  type MonitorOptions,
  type EventsOptions,
  type SubscribeOptions,
  type SubscribeRawOptions,
  type Subscription,
  type BatchHandler,
  MAX_COALESCE_MS,
} from './monitor.js';
export { MODES, ACTIONS, type Mode, type Action, type TargetSettings, type Target, type Status } from './status.js';
export { type FollowOptions, type FollowOutput, type FollowSummary, type FollowEnd, type Following } from './follow.js';
export {
  EventDecoder,
  cString,
  type MonitorEvent,
  type SyscallEvent,
  type ExitEvent,
  type LostEvent,
  type Verdict,
} from './events.js';
export { SyscallTable, closestNames, editDistance } from './syscalls.js';
export {
  decodeArgs,
  decodeResult,
  decodedSyscalls,
  formatCall,
  isFailure,
  seconds,
  signalName,
  type ArgKind,
  type DecodableCall,
  type DecodedArg,
  type DecodedResult,
} from './decode/index.js';
export { matchesOutcome, parseDuration, type OutcomeFilter } from './outcome.js';
export { CallSummary, type Summary, type SummaryRow } from './summary.js';
export { errnoName, errnoNumber, errnoMessage, errnoNames, errnoList, errnoText } from './errnos.js';
export {
  SyscallmonError,
  UsageError,
  NotLoadedError,
  PermissionError,
  KernelError,
  VersionError,
  fromBindingError,
  describeErrno,
  LOAD_HINT,
  type ErrorKind,
} from './errors.js';
export { encodeRecord, encodeBatch, checkLayout, RECORD_FIELDS, type RecordInit, type RecordLayout } from './records.js';
export { systemKmod, MODULE_NAME, ToolFailure, type Kmod } from './kmod.js';
export {
  loadModule,
  unloadModule,
  parseCapacity,
  capacityLimits,
  type CapacityLimits,
  type LoadRequest,
  type LoadResult,
  type UnloadResult,
} from './module.js';
