/**
 * `NDK_MR_FLAG_*` (SPEC.md §3.1): access flags of `NdkRegisterMr`.
 *
 * @since 0.1.0
 */
import { describeFlags } from "./internal/flags.js"

/**
 * Every `NDK_MR_FLAG_*` with its header value (header = doc).
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkMrFlag = {
  /** Local read: always implied (value 0). */
  NDK_MR_FLAG_ALLOW_LOCAL_READ: 0x00000000,
  NDK_MR_FLAG_ALLOW_LOCAL_WRITE: 0x00000001,
  NDK_MR_FLAG_ALLOW_REMOTE_READ: 0x00000002,
  /** Remote write; includes the local-write bit (0x4 | 0x1). */
  NDK_MR_FLAG_ALLOW_REMOTE_WRITE: 0x00000005,
  NDK_MR_FLAG_RDMA_READ_SINK: 0x00000008
} as const

/**
 * The name of an `NDK_MR_FLAG_*` constant.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkMrFlagName = keyof typeof NdkMrFlag

/**
 * The single bits the flags are made of (the model rule of SPEC.md §3.1: local write 0x1, remote read 0x2,
 * remote write 0x4, read sink 0x8).
 *
 * @since 0.1.0
 * @category constants
 */
export const bits = {
  localWrite: 0x1,
  remoteRead: 0x2,
  remoteWrite: 0x4,
  readSink: 0x8
} as const

/**
 * Every bit a valid `Flags` value may have; any bit outside it is invalid (model: `STATUS_INVALID_PARAMETER`).
 *
 * @since 0.1.0
 * @category constants
 */
export const validMask = 0x0000000F

/**
 * True when `flags` has no bit outside {@link validMask}.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isValid = (flags: number): boolean => Number.isInteger(flags) && ((flags >>> 0) & ~validMask) === 0

/**
 * Local write granted (`(Flags & 0x1) != 0`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const hasLocalWrite = (flags: number): boolean => (flags & bits.localWrite) !== 0

/**
 * Remote read granted (`(Flags & 0x2) != 0`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const hasRemoteRead = (flags: number): boolean => (flags & bits.remoteRead) !== 0

/**
 * Remote write granted (`(Flags & 0x4) != 0`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const hasRemoteWrite = (flags: number): boolean => (flags & bits.remoteWrite) !== 0

/**
 * Read-sink registration (`(Flags & 0x8) != 0`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const hasReadSink = (flags: number): boolean => (flags & bits.readSink) !== 0

/**
 * The names of the flags set in `flags` (composites first), plus the hex of any unknown bits.
 *
 * @since 0.1.0
 * @category getters
 */
export const names = (flags: number): ReadonlyArray<string> =>
  describeFlags(flags, Object.entries(NdkMrFlag) as ReadonlyArray<readonly [string, number]>)
