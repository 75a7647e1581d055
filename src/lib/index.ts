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
  type RawMember,
  type RawRecordStruct,
  type RecordStructName,
  type StreamHandle,
  type SyscallEntry,
} from './binding.js';
export {
  Monitor,
  parseErrno,
  loadedModuleApiVersion,
  PID_MAX,
  DEFAULT_BATCH_BYTES,
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
export {
  MODES,
  ACTIONS,
  RECORD_MODES,
  type Mode,
  type Action,
  type RecordMode,
  type TargetSettings,
  type Target,
  type Status,
} from './status.js';
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
export {
  encodeRecord,
  encodeBatch,
  checkLayout,
  recordSize,
  RECORD_MEMBERS,
  type RecordInit,
  type RecordLayout,
  type EventType,
} from './records.js';
export { resolveSchema, eventJson, jsonValue, hexArg, type EventSchema, type FieldKind, type SchemaField } from './schema.js';
export { systemKmod, MODULE_NAME, ToolFailure, type Kmod } from './kmod.js';
export {
  loadModule,
  unloadModule,
  parseRingSize,
  parseReturnSlots,
  moduleLimits,
  bytesText,
  type ModuleLimits,
  type LoadRequest,
  type LoadResult,
  type UnloadResult,
} from './module.js';
