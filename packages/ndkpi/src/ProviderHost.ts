/**
 * Adapter-level entry points outside the dispatch tables (SPEC.md §1.4, §4.9, §6.2): open and close of an
 * adapter instance through NDIS (provider side) or WSK (consumer side), the version-negotiation parameters, and the
 * service tag for "a provider" that the consumer layer requires.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { NdkAdapterInfo } from "./AdapterInfo.js"
import * as NdkVersion from "./NdkVersion.js"
import type { NTSTATUS } from "./NtStatus.js"
import type { Out } from "./OutParam.js"
import type { NdkAdapter } from "./RawInterface.js"
import * as Scalar from "./Scalar.js"

/**
 * `NDIS_OPEN_NDK_ADAPTER_PARAMETERS`: `Version` is the major the consumer needs and the lowest minor it can use
 * (see `NdkVersion.negotiate`); `SwitchId` / `VPortId` are undocumented.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdisOpenNdkAdapterParameters {
  readonly Version: NdkVersion.NdkVersion
  readonly SwitchId: number
  readonly VPortId: number
}

/**
 * Schema of the open parameters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdisOpenNdkAdapterParameters: Schema.Schema<NdisOpenNdkAdapterParameters> = Schema.Struct({
  Version: NdkVersion.NdkVersion,
  SwitchId: Scalar.Ulong,
  VPortId: Scalar.Ulong
}).annotations({ identifier: "NDIS_OPEN_NDK_ADAPTER_PARAMETERS" })

/**
 * `OPEN_NDK_ADAPTER_HANDLER`: synchronous; creates one adapter instance (several may be open on one miniport).
 * Returns `NDIS_STATUS_SUCCESS` with the adapter in `ppNdkAdapter`, `NDIS_STATUS_BAD_VERSION`,
 * `NDIS_STATUS_ADAPTER_NOT_READY` (NDK disabled) or `NDIS_STATUS_RESOURCES`.
 *
 * @since 0.1.0
 * @category functions
 */
export type OpenNdkAdapterHandler = (
  MiniportAdapterContext: unknown,
  Parameters: NdisOpenNdkAdapterParameters,
  ppNdkAdapter: Out<NdkAdapter>
) => Effect.Effect<NTSTATUS>

/**
 * `CLOSE_NDK_ADAPTER_HANDLER`: synchronous and blocking — the Effect completes only when every callback on every
 * object descended from the adapter (close completions included) has returned. Never called from a consumer
 * callback.
 *
 * @since 0.1.0
 * @category functions
 */
export type CloseNdkAdapterHandler = (MiniportAdapterContext: unknown, pNdkAdapter: NdkAdapter) => Effect.Effect<void>

/**
 * A miniport that provides NDK: the context NDIS hands back to it and its two handlers
 * (`NDIS_NDK_PROVIDER_CHARACTERISTICS` without the NDIS header).
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkProviderHost {
  readonly MiniportAdapterContext: unknown
  readonly OpenNdkAdapter: OpenNdkAdapterHandler
  readonly CloseNdkAdapter: CloseNdkAdapterHandler
}

/**
 * `WSK_PROVIDER_NDK_DISPATCH` (`wskndk.h`): the consumer-side view, obtained with
 * `WskControlClient(WSKNDK_GET_WSK_PROVIDER_NDK_DISPATCH)`. Both functions run at PASSIVE_LEVEL; close blocks.
 *
 * @since 0.1.0
 * @category models
 */
export interface WskProviderNdkDispatch {
  readonly WskOpenNdkAdapter: (
    Client: unknown,
    NdkVersion: NdkVersion.NdkVersion,
    IfIndex: number,
    ppNdkAdapter: Out<NdkAdapter>
  ) => Effect.Effect<NTSTATUS>
  readonly WskCloseNdkAdapter: (Client: unknown, pNdkAdapter: NdkAdapter) => Effect.Effect<void>
}

/**
 * `NDIS_NDK_CAPABILITIES`: system-wide capacity of the miniport (0 read limits = no adapter-wide limit).
 *
 * @since 0.1.0
 * @category models
 */
export interface NdisNdkCapabilities {
  readonly Flags: number
  readonly MaxQpCount: number
  readonly MaxCqCount: number
  readonly MaxMrCount: number
  readonly MaxPdCount: number
  readonly MaxInboundReadLimit: number
  readonly MaxOutboundReadLimit: number
  readonly MaxMwCount: number
  readonly MaxSrqCount: number
  /** Bit n set ⇔ performance counter n is unsupported. */
  readonly MissingCounterMask: bigint
  readonly NdkInfo: NdkAdapterInfo
}

/**
 * `NDIS_MINIPORT_ADAPTER_NDK_ATTRIBUTES`: reported at initialization even when NDK is disabled.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdisMiniportAdapterNdkAttributes {
  readonly Enabled: boolean
  readonly NdkCapabilities: NdisNdkCapabilities
}

/**
 * `NDIS_NDK_PERFORMANCE_COUNTERS` indices (5–24 are reserved and must be 0).
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkPerformanceCounter = {
  Connect: 0,
  Accept: 1,
  ConnectFailure: 2,
  ConnectionError: 3,
  ActiveConnection: 4,
  CQError: 25,
  RDMAInOctets: 26,
  RDMAOutOctets: 27,
  RDMAInFrames: 28,
  RDMAOutFrames: 29
} as const

/**
 * The NDK OIDs a provider must support.
 *
 * @since 0.1.0
 * @category constants
 */
export const ndkOids: ReadonlyArray<string> = [
  "OID_NDK_SET_STATE",
  "OID_NDK_STATISTICS",
  "OID_NDK_CONNECTIONS",
  "OID_NDK_LOCAL_ENDPOINTS"
]

/**
 * "A provider": the service the consumer layer requires to open adapters. Any provider implementation (the
 * simulated one, a wrapper with an event log) supplies it as a layer.
 *
 * @since 0.1.0
 * @category tags
 */
export class NdkProvider extends Context.Tag("@effect-ndk/ndkpi/NdkProvider")<NdkProvider, NdkProviderHost>() {}
