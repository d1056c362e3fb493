/**
 * `NDK_OP_FLAG_*` (SPEC.md §3.2): `Flags` of work requests, and the flags each work-request function accepts.
 *
 * @since 0.1.0
 */
import { describeFlags } from "./internal/flags.js"

/**
 * Every `NDK_OP_FLAG_*` with its **header** value.
 *
 * `NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE` is documented as 0x200 on the `NdkRead` page, the same value as
 * `NDK_OP_FLAG_DEFER`; the header says 0x100 and the model follows the header (SPEC.md §13 D2, R160).
 * `NDK_OP_FLAG_RDMA_READ_SINK` appears in no documented flag table, only in `NdkFastRegister` remarks; the value
 * is the header's (D5).
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkOpFlag = {
  NDK_OP_FLAG_SILENT_SUCCESS: 0x00000001,
  NDK_OP_FLAG_READ_FENCE: 0x00000002,
  NDK_OP_FLAG_SEND_AND_SOLICIT_EVENT: 0x00000004,
  NDK_OP_FLAG_ALLOW_REMOTE_READ: 0x00000008,
  /** Fast-register only (header comment "FRMR"). */
  NDK_OP_FLAG_ALLOW_LOCAL_WRITE: 0x00000010,
  /** Includes the local-write bit 0x10. */
  NDK_OP_FLAG_ALLOW_REMOTE_WRITE: 0x00000030,
  NDK_OP_FLAG_INLINE: 0x00000040,
  NDK_OP_FLAG_RDMA_READ_SINK: 0x00000080,
  /** [1.2] Header value 0x100; the doc's 0x200 is an error (SPEC.md §13 D2). */
  NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE: 0x00000100,
  /** [1.2] */
  NDK_OP_FLAG_DEFER: 0x00000200
} as const

/**
 * The name of an `NDK_OP_FLAG_*` constant.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkOpFlagName = keyof typeof NdkOpFlag

/**
 * The flags introduced in NDKPI 1.2 (every other flag is 1.1).
 *
 * @since 0.1.0
 * @category constants
 */
export const introducedIn12: ReadonlyArray<NdkOpFlagName> = [
  "NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE",
  "NDK_OP_FLAG_DEFER"
]

/**
 * The work-request functions that take a `Flags` argument.
 *
 * @since 0.1.0
 * @category models
 */
export type FlaggedRequest =
  | "NdkSend"
  | "NdkSendAndInvalidate"
  | "NdkWrite"
  | "NdkRead"
  | "NdkBind"
  | "NdkFastRegister"
  | "NdkInvalidate"

const common: ReadonlyArray<NdkOpFlagName> = [
  "NDK_OP_FLAG_SILENT_SUCCESS",
  "NDK_OP_FLAG_READ_FENCE",
  "NDK_OP_FLAG_DEFER"
]

/**
 * The flags each work-request function accepts (SPEC.md §3.2 table). `NdkWrite` accepts `INLINE` although its
 * doc flag table omits it (§13 D22: inline data is defined for "a send or write").
 *
 * @since 0.1.0
 * @category constants
 */
export const acceptedFlags: { readonly [K in FlaggedRequest]: ReadonlyArray<NdkOpFlagName> } = {
  NdkSend: [...common, "NDK_OP_FLAG_SEND_AND_SOLICIT_EVENT", "NDK_OP_FLAG_INLINE"],
  NdkSendAndInvalidate: [...common, "NDK_OP_FLAG_SEND_AND_SOLICIT_EVENT", "NDK_OP_FLAG_INLINE"],
  NdkWrite: [...common, "NDK_OP_FLAG_INLINE"],
  NdkRead: [...common, "NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE"],
  NdkBind: [...common, "NDK_OP_FLAG_ALLOW_REMOTE_READ", "NDK_OP_FLAG_ALLOW_REMOTE_WRITE"],
  NdkFastRegister: [
    ...common,
    "NDK_OP_FLAG_ALLOW_REMOTE_READ",
    "NDK_OP_FLAG_ALLOW_LOCAL_WRITE",
    "NDK_OP_FLAG_ALLOW_REMOTE_WRITE",
    "NDK_OP_FLAG_RDMA_READ_SINK"
  ],
  NdkInvalidate: [...common]
}

/**
 * The union of the bits each work-request function accepts.
 *
 * @since 0.1.0
 * @category constants
 */
export const accepted: { readonly [K in FlaggedRequest]: number } = Object.fromEntries(
  Object.entries(acceptedFlags).map(([request, names]) => [request, names.reduce((m, n) => m | NdkOpFlag[n], 0)])
) as { readonly [K in FlaggedRequest]: number }

/**
 * True when `flags` is an OR of flags that `request` accepts. Unknown bits fail (a post fails inline with
 * `STATUS_INVALID_PARAMETER`, model decision of SPEC.md §3.2), and so does a bit that is accepted only as part of a
 * composite: `NdkBind` takes `ALLOW_REMOTE_WRITE` (0x30) but not the bare local-write bit 0x10.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAcceptedBy = (request: FlaggedRequest, flags: number): boolean => {
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xFFFFFFFF) return false
  let covered = 0
  for (const name of acceptedFlags[request]) {
    const f = NdkOpFlag[name]
    if ((flags & f) === f) covered |= f
  }
  return covered === flags
}

/**
 * True when `flags` contains `flag` (every bit of it).
 *
 * @since 0.1.0
 * @category predicates
 */
export const has = (flags: number, flag: number): boolean => (flags & flag) === flag

/**
 * The names of the flags set in `flags` (composites first), plus the hex of any unknown bits.
 *
 * @since 0.1.0
 * @category getters
 */
export const names = (flags: number): ReadonlyArray<string> =>
  describeFlags(flags, Object.entries(NdkOpFlag) as ReadonlyArray<readonly [string, number]>)
