/**
 * `NDK_VERSION` (SPEC.md §2.5, §4.1, §12): the interface version, the versions that exist, what each one
 * introduced, and the version negotiation of adapter open (§6.2).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Scalar from "./Scalar.js"

/**
 * `NDK_VERSION { USHORT Major; USHORT Minor; }` (size 4).
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkVersion {
  readonly Major: number
  readonly Minor: number
}

/**
 * Schema of an `NDK_VERSION`: both fields `USHORT`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkVersion: Schema.Schema<NdkVersion> = Schema.Struct({
  Major: Scalar.Ushort,
  Minor: Scalar.Ushort
}).annotations({ identifier: "NDK_VERSION" })

/**
 * 1.0: only ever *requested* (the provider then reports its highest 1.x); Microsoft's sample consumer opens
 * adapters with {1,0}. No 1.0-only features exist.
 *
 * @since 0.1.0
 * @category constants
 */
export const V1_0: NdkVersion = { Major: 1, Minor: 0 }

/**
 * 1.1: NDIS 6.30, Windows Server 2012 — the base interface.
 *
 * @since 0.1.0
 * @category constants
 */
export const V1_1: NdkVersion = { Major: 1, Minor: 1 }

/**
 * 1.2: NDIS 6.40, Windows Server 2012 R2.
 *
 * @since 0.1.0
 * @category constants
 */
export const V1_2: NdkVersion = { Major: 1, Minor: 2 }

/**
 * 2.0: mentioned only as "the NDK 2.0 memory layout"; contents undocumented.
 *
 * @since 0.1.0
 * @category constants
 */
export const V2_0: NdkVersion = { Major: 2, Minor: 0 }

/**
 * 2.1: Windows Server 2022. The header value {2,1} is inferred (SPEC.md §13 D25).
 *
 * @since 0.1.0
 * @category constants
 */
export const V2_1: NdkVersion = { Major: 2, Minor: 1 }

/**
 * The versions a model provider may report (SPEC.md §12 model implications).
 *
 * @since 0.1.0
 * @category constants
 */
export const providerVersions: ReadonlyArray<NdkVersion> = [V1_1, V1_2, V2_1]

/**
 * `"1.2"` for {1,2}.
 *
 * @since 0.1.0
 * @category getters
 */
export const format = (v: NdkVersion): string => `${v.Major}.${v.Minor}`

/**
 * Total order: by major, then minor. Negative, zero or positive like `Array.prototype.sort`'s comparator.
 *
 * @since 0.1.0
 * @category ordering
 */
export const compare = (a: NdkVersion, b: NdkVersion): number => a.Major - b.Major || a.Minor - b.Minor

/**
 * Same major and minor.
 *
 * @since 0.1.0
 * @category predicates
 */
export const equals = (a: NdkVersion, b: NdkVersion): boolean => a.Major === b.Major && a.Minor === b.Minor

/**
 * True when `v` is `min` or later. Note: minor versions are cumulative within a major (doc); 2.x is taken to
 * include every 1.x item (§12 lists nothing removed).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAtLeast = (v: NdkVersion, min: NdkVersion): boolean => compare(v, min) >= 0

/**
 * Outcome of adapter-open version negotiation.
 *
 * @since 0.1.0
 * @category models
 */
export type Negotiation =
  | { readonly _tag: "Accepted"; readonly version: NdkVersion }
  | { readonly _tag: "BadVersion"; readonly reason: "MajorNotSupported" | "MinorTooHigh" }

/**
 * Version negotiation of `OpenNdkAdapter` (SPEC.md §6.2): the consumer names a major and the lowest minor it
 * can use; `supported` are the highest version of each major the provider implements.
 *
 * - major not implemented → `BadVersion` (R33, `NDIS_STATUS_BAD_VERSION`);
 * - requested minor ≤ provider's highest → `Accepted` at the **provider's highest** minor of that major (R34);
 * - requested minor > provider's highest → `BadVersion` (R35).
 *
 * @since 0.1.0
 * @category negotiation
 */
export const negotiate = (requested: NdkVersion, supported: ReadonlyArray<NdkVersion>): Negotiation => {
  let best: NdkVersion | undefined
  for (const v of supported) {
    if (v.Major === requested.Major && (best === undefined || v.Minor > best.Minor)) best = v
  }
  if (best === undefined) return { _tag: "BadVersion", reason: "MajorNotSupported" }
  if (requested.Minor > best.Minor) return { _tag: "BadVersion", reason: "MinorTooHigh" }
  return { _tag: "Accepted", version: best }
}

/**
 * One item a version introduced (SPEC.md §12).
 *
 * @since 0.1.0
 * @category models
 */
export type Introduction =
  | {
    readonly _tag: "Function"
    /** Dispatch table (object kind) and slot of the new entry. */
    readonly table: "Cq" | "Qp" | "Connector"
    readonly slot: number
    readonly member: string
    readonly fnType: string
  }
  | { readonly _tag: "Callback"; readonly name: string; readonly fnType: string }
  | { readonly _tag: "Item"; readonly name: string }

/**
 * What 1.2 and 2.1 added (everything else of the interface is 1.1; 2.0's contents are undocumented).
 *
 * @since 0.1.0
 * @category constants
 */
export const introductions: ReadonlyArray<
  { readonly version: NdkVersion; readonly items: ReadonlyArray<Introduction> }
> = [
  {
    version: V1_2,
    items: [
      {
        _tag: "Function",
        table: "Qp",
        slot: 10,
        member: "NdkSendAndInvalidate",
        fnType: "NDK_FN_SEND_AND_INVALIDATE"
      },
      { _tag: "Function", table: "Cq", slot: 6, member: "NdkGetCqResultsEx", fnType: "NDK_FN_GET_CQ_RESULTS_EX" },
      { _tag: "Item", name: "NDK_RESULT_EX" },
      { _tag: "Item", name: "NDK_OPERATION_TYPE" },
      { _tag: "Item", name: "NDK_OP_FLAG_DEFER" },
      { _tag: "Item", name: "NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE" },
      { _tag: "Item", name: "NDK_ADAPTER_FLAG_RDMA_READ_LOCAL_INVALIDATE_SUPPORTED" }
    ]
  },
  {
    version: V2_1,
    items: [
      {
        _tag: "Function",
        table: "Connector",
        slot: 11,
        member: "NdkCompleteConnectEx",
        fnType: "NDK_FN_COMPLETE_CONNECT_EX"
      },
      { _tag: "Function", table: "Connector", slot: 12, member: "NdkAcceptEx", fnType: "NDK_FN_ACCEPT_EX" },
      {
        _tag: "Callback",
        name: "NdkDisconnectEventCallbackEx",
        fnType: "NDK_FN_DISCONNECT_EVENT_CALLBACK_EX"
      },
      { _tag: "Item", name: "NDK_RESULT_EX.ProviderErrorCode" }
    ]
  }
]
