/**
 * `NDK_ADAPTER_INFO` (SPEC.md §4.3): the adapter's version, identity, limits and capability flags, returned by
 * `NdkQueryAdapterInfo`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { MIN_FRMR_PAGE_COUNT } from "./Constants.js"
import * as NdkVersion from "./NdkVersion.js"
import type { RdmaTransport } from "./RdmaTechnology.js"
import { isRdmaTechnology } from "./RdmaTechnology.js"
import * as Scalar from "./Scalar.js"

/**
 * `NDK_ADAPTER_INFO` as of the current header (with `RdmaTechnology`).
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkAdapterInfo {
  /** Negotiated NDK interface version. */
  readonly Version: NdkVersion.NdkVersion
  /** Vendor OUI. */
  readonly VendorId: number
  readonly DeviceId: number
  /** Largest single memory registration, bytes. */
  readonly MaxRegistrationSize: bigint
  /** Largest single memory window, bytes. */
  readonly MaxWindowSize: bigint
  /** FR-MR size (pages) for which the adapter supports the most FR-MRs; ≥ 16. */
  readonly FRMRPageCount: number
  readonly MaxInitiatorRequestSge: number
  /** Max SGEs per receive request (QP receive queue or SRQ). */
  readonly MaxReceiveRequestSge: number
  /** Max SGEs per RDMA read; overrides `MaxInitiatorRequestSge` for reads. */
  readonly MaxReadRequestSge: number
  /** Max total bytes of one send/receive/read/write. */
  readonly MaxTransferLength: number
  /** Max inline bytes in one send or write. */
  readonly MaxInlineDataSize: number
  /** IRD cap per QP. */
  readonly MaxInboundReadLimit: number
  /** ORD cap per QP. */
  readonly MaxOutboundReadLimit: number
  readonly MaxReceiveQueueDepth: number
  readonly MaxInitiatorQueueDepth: number
  /** Max outstanding requests per SRQ; 0 = no SRQ support. */
  readonly MaxSrqDepth: number
  readonly MaxCqDepth: number
  /** Size hint above which read/write beats send/receive. */
  readonly LargeRequestThreshold: number
  /** Max private-data bytes on a connect request. */
  readonly MaxCallerData: number
  /** Max private-data bytes on an accept or reject. */
  readonly MaxCalleeData: number
  /** `NDK_ADAPTER_FLAG_*`. */
  readonly AdapterFlags: number
  readonly RdmaTechnology: RdmaTransport
}

/**
 * Byte size of `NDK_ADAPTER_INFO` on x64 with `RdmaTechnology` (the size `NdkQueryAdapterInfo` requires).
 *
 * @since 0.1.0
 * @category constants
 */
export const SIZE = 0x68

/**
 * Byte size on x64 of the older layout without `RdmaTechnology` (a provider emulating an older header).
 *
 * @since 0.1.0
 * @category constants
 */
export const SIZE_WITHOUT_RDMA_TECHNOLOGY = 0x60

/**
 * Byte offsets of the fields on x64 (SPEC.md §4.3), in declaration order.
 *
 * @since 0.1.0
 * @category constants
 */
export const offsets: { readonly [K in keyof NdkAdapterInfo]: number } = {
  Version: 0x00,
  VendorId: 0x04,
  DeviceId: 0x08,
  MaxRegistrationSize: 0x10,
  MaxWindowSize: 0x18,
  FRMRPageCount: 0x20,
  MaxInitiatorRequestSge: 0x24,
  MaxReceiveRequestSge: 0x28,
  MaxReadRequestSge: 0x2C,
  MaxTransferLength: 0x30,
  MaxInlineDataSize: 0x34,
  MaxInboundReadLimit: 0x38,
  MaxOutboundReadLimit: 0x3C,
  MaxReceiveQueueDepth: 0x40,
  MaxInitiatorQueueDepth: 0x44,
  MaxSrqDepth: 0x48,
  MaxCqDepth: 0x4C,
  LargeRequestThreshold: 0x50,
  MaxCallerData: 0x54,
  MaxCalleeData: 0x58,
  AdapterFlags: 0x5C,
  RdmaTechnology: 0x60
}

/**
 * True when the adapter supports SRQs (`MaxSrqDepth != 0`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const supportsSrq = (info: NdkAdapterInfo): boolean => info.MaxSrqDepth !== 0

const RdmaTechnologySchema: Schema.Schema<RdmaTransport> = Schema.declare(isRdmaTechnology, {
  identifier: "NDK_RDMA_TECHNOLOGY",
  message: (issue) => `expected an NDK_RDMA_TECHNOLOGY below NdkMaxTechnology (0..4), got ${String(issue.actual)}`
})

/**
 * Schema of `NDK_ADAPTER_INFO`: every `ULONG` in range, sizes unsigned 64-bit, a known RDMA technology, and the
 * documented limit `FRMRPageCount ≥ 16`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkAdapterInfo: Schema.Schema<NdkAdapterInfo> = Schema.Struct({
  Version: NdkVersion.NdkVersion,
  VendorId: Scalar.Ulong,
  DeviceId: Scalar.Ulong,
  MaxRegistrationSize: Scalar.Uint64,
  MaxWindowSize: Scalar.Uint64,
  FRMRPageCount: Scalar.Ulong.pipe(
    Schema.filter((n) =>
      n >= MIN_FRMR_PAGE_COUNT || `FRMRPageCount must be at least ${MIN_FRMR_PAGE_COUNT} (doc), got ${n}`
    )
  ),
  MaxInitiatorRequestSge: Scalar.Ulong,
  MaxReceiveRequestSge: Scalar.Ulong,
  MaxReadRequestSge: Scalar.Ulong,
  MaxTransferLength: Scalar.Ulong,
  MaxInlineDataSize: Scalar.Ulong,
  MaxInboundReadLimit: Scalar.Ulong,
  MaxOutboundReadLimit: Scalar.Ulong,
  MaxReceiveQueueDepth: Scalar.Ulong,
  MaxInitiatorQueueDepth: Scalar.Ulong,
  MaxSrqDepth: Scalar.Ulong,
  MaxCqDepth: Scalar.Ulong,
  LargeRequestThreshold: Scalar.Ulong,
  MaxCallerData: Scalar.Ulong,
  MaxCalleeData: Scalar.Ulong,
  AdapterFlags: Scalar.Ulong,
  RdmaTechnology: RdmaTechnologySchema
}).annotations({ identifier: "NDK_ADAPTER_INFO" })
