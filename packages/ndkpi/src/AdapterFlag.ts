/**
 * `NDK_ADAPTER_FLAG_*` (SPEC.md §3.3): capability bits in `NDK_ADAPTER_INFO.AdapterFlags`.
 *
 * @since 0.1.0
 */
import { describeFlags } from "./internal/flags.js"

/**
 * Every `NDK_ADAPTER_FLAG_*` with its header value (header = doc). Each is a single bit.
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkAdapterFlag = {
  NDK_ADAPTER_FLAG_IN_ORDER_DMA_SUPPORTED: 0x00000001,
  NDK_ADAPTER_FLAG_RDMA_READ_SINK_NOT_REQUIRED: 0x00000002,
  NDK_ADAPTER_FLAG_CQ_INTERRUPT_MODERATION_SUPPORTED: 0x00000004,
  NDK_ADAPTER_FLAG_MULTI_ENGINE_SUPPORTED: 0x00000008,
  /** [1.2] */
  NDK_ADAPTER_FLAG_RDMA_READ_LOCAL_INVALIDATE_SUPPORTED: 0x00000010,
  NDK_ADAPTER_FLAG_CQ_RESIZE_SUPPORTED: 0x00000100,
  NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED: 0x00010000
} as const

/**
 * The name of an `NDK_ADAPTER_FLAG_*` constant.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkAdapterFlagName = keyof typeof NdkAdapterFlag

/**
 * The union of every defined adapter flag.
 *
 * @since 0.1.0
 * @category constants
 */
export const definedMask: number = Object.values(NdkAdapterFlag).reduce((a, b) => a | b, 0)

/**
 * True when `flags` contains `flag`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const has = (flags: number, flag: number): boolean => (flags & flag) === flag

/**
 * The names of the flags set in `flags`, plus the hex of any undefined bits.
 *
 * @since 0.1.0
 * @category getters
 */
export const names = (flags: number): ReadonlyArray<string> =>
  describeFlags(flags, Object.entries(NdkAdapterFlag) as ReadonlyArray<readonly [string, number]>)
