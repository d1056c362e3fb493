/**
 * CQ notification types (SPEC.md §2.4): the `Type` argument of `NdkArmCq`.
 *
 * @since 0.1.0
 */

/**
 * Every `NDK_CQ_NOTIFY_*` constant with its header value.
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkCqNotifyType = {
  /** CQ errors only (overrun, catastrophic failure). */
  NDK_CQ_NOTIFY_ERRORS: 0,
  /** The next completion of any kind. */
  NDK_CQ_NOTIFY_ANY: 1,
  /** The next receive completion of a solicited send; any error completion also matches. */
  NDK_CQ_NOTIFY_SOLICITED: 2
} as const

/**
 * The name of an `NDK_CQ_NOTIFY_*` constant.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkCqNotifyTypeName = keyof typeof NdkCqNotifyType

/**
 * An `NDK_CQ_NOTIFY_*` value.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkCqNotifyType = typeof NdkCqNotifyType[NdkCqNotifyTypeName]

/**
 * True for a defined notification type (0, 1 or 2).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isCqNotifyType = (u: unknown): u is NdkCqNotifyType => u === 0 || u === 1 || u === 2
