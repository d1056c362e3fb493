/**
 * The raw NDKPI provider interface (SPEC.md §6, §7) mapped onto Effect: the ten object structs, one interface
 * per dispatch table with every `NDK_FN_*` member in slot order, and every consumer callback.
 *
 * Mapping (ARCHITECTURE.md "Mapping NDKPI onto Effect"):
 * - a dispatch function returns an Effect that completes at once with its NTSTATUS (or, for the synchronous
 *   functions that return them, a count, a token or nothing). `STATUS_PENDING` promises exactly one later
 *   callback with the consumer's context value; any other status promises none;
 * - a consumer callback returns `Effect<void>`; "the callback has returned control to the provider" means
 *   that Effect has completed;
 * - out-parameters are {@link Out} / {@link InOut} boxes; contexts are `unknown`, handed back by identity;
 * - where C passes `&obj->Header` (close, create completion), TypeScript passes the object itself. The provider
 *   must identify an object by its own handle or header identity, never by the consumer-visible `Dispatch`.
 *
 * QP, SRQ and CQ objects may carry an optional `unsafe` table: synchronous twins of the hot-path functions
 * (work-request posts, `NdkGetCqResults(Ex)`, `NdkArmCq`) returning plain values. It lives outside `Dispatch`, so
 * every dispatch table holds exactly the SPEC's members.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { NdkAdapterInfo } from "./AdapterInfo.js"
import type { Guid, NdkExtensionInterface } from "./ExtensionInterface.js"
import type { NdkLogicalAddressMapping } from "./LogicalAddressMapping.js"
import type { Mdl } from "./Mdl.js"
import type { NdkResult, NdkResultEx } from "./NdkResult.js"
import type { NdkVersion } from "./NdkVersion.js"
import type { NTSTATUS } from "./NtStatus.js"
import type { NdkObjectHeader } from "./ObjectHeader.js"
import type { LiveObjectType, NdkObjectType } from "./ObjectType.js"
import type { InOut, Out } from "./OutParam.js"
import type { LogicalAddress, SIZE_T, UINT32, UINT64, ULONG, VirtualAddress } from "./Scalar.js"
import type { NdkSge } from "./Sge.js"
import type { SockAddr } from "./SockAddr.js"

// ---------------------------------------------------------------------------------------------------------------
// consumer callbacks (§7)
// ---------------------------------------------------------------------------------------------------------------

/**
 * `NDK_FN_CREATE_COMPLETION` (§7.1): completes a create call that returned `STATUS_PENDING`. `pNdkObject` is the
 * new object on success, `null` otherwise.
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkCreateCompletion = (
  Context: unknown,
  Status: NTSTATUS,
  pNdkObject: NdkObject | null
) => Effect.Effect<void>

/**
 * `NDK_FN_REQUEST_COMPLETION` (§7.2): completes a request that returned `STATUS_PENDING`.
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkRequestCompletion = (Context: unknown, Status: NTSTATUS) => Effect.Effect<void>

/**
 * `NDK_FN_CLOSE_COMPLETION` (§7.3): completes a close that returned `STATUS_PENDING`; the last callback ever made
 * for the object. One parameter: a request-completion-shaped function is not assignable to it (§13 D15, R164).
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkCloseCompletion = (Context: unknown) => Effect.Effect<void>

/**
 * `NDK_FN_CQ_NOTIFICATION_CALLBACK` (§7.4): an armed CQ condition occurred (`STATUS_SUCCESS`), or the CQ overran
 * (`STATUS_BUFFER_OVERFLOW`) or failed (`STATUS_INTERNAL_ERROR`).
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkCqNotificationCallback =
  & ((CqNotificationContext: unknown, CqStatus: NTSTATUS) => Effect.Effect<void>)
  & {
    /**
     * Optional synchronous twin (hot path, outside the C interface like the `unsafe` tables): a provider may call
     * it instead of running the Effect when it raises a notification from its own context — never inside a call
     * the consumer made — with the same rules (serialized per CQ, R63; never after the close call, R19). It must
     * not block and may call only `unsafe` twins. Read at every notification: `undefined` means "use the Effect".
     */
    readonly unsafe?: ((CqNotificationContext: unknown, CqStatus: NTSTATUS) => void) | undefined
  }

/**
 * `NDK_FN_SRQ_NOTIFICATION_CALLBACK` (§7.5): queued receives fell below the threshold (`STATUS_SUCCESS`), or the
 * SRQ failed (`STATUS_INTERNAL_ERROR`).
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkSrqNotificationCallback = (SrqNotificationContext: unknown, SrqStatus: NTSTATUS) => Effect.Effect<void>

/**
 * `NDK_FN_CONNECT_EVENT_CALLBACK` (§7.6): an incoming connection request on a listener; `pNdkConnector` is a new
 * connector created by the provider and owned by the consumer from then on.
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkConnectEventCallback = (ConnectEventContext: unknown, pNdkConnector: NdkConnector) => Effect.Effect<void>

/**
 * `NDK_FN_DISCONNECT_EVENT_CALLBACK` (§7.7): the peer disconnected or the connection was aborted; at most once.
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkDisconnectEventCallback = (DisconnectEventContext: unknown) => Effect.Effect<void>

/**
 * `NDK_FN_DISCONNECT_EVENT_CALLBACK_EX` [2.1] (§7.8): as {@link NdkDisconnectEventCallback}, with a provider-specific
 * reason (0 = none supplied).
 *
 * @since 0.1.0
 * @category callbacks
 */
export type NdkDisconnectEventCallbackEx = (
  DisconnectEventContext: unknown,
  ProviderDisconnectReason: ULONG
) => Effect.Effect<void>

// ---------------------------------------------------------------------------------------------------------------
// parameter types
// ---------------------------------------------------------------------------------------------------------------

/**
 * `GROUP_AFFINITY`: preferred processors for notifications (a hint only).
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupAffinity {
  readonly Group: number
  readonly Mask: bigint
}

// ---------------------------------------------------------------------------------------------------------------
// NDK_FN_* function types (§6.0), one per catalogue row
// ---------------------------------------------------------------------------------------------------------------

/**
 * `NDK_FN_CLOSE_OBJECT` (slot 0 of every table but the adapter's). Returns `STATUS_SUCCESS` (closed, no callback)
 * or `STATUS_PENDING` (one `CloseCompletion` later); a close never fails.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCloseObject = (
  pNdkObject: NdkObject,
  CloseCompletion: NdkCloseCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_QUERY_EXTENSION_INTERFACE` (adapter slot 0, every other table slot 1).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnQueryExtensionInterface = (
  pNdkObject: NdkObject,
  ExtensionInterfaceID: Guid,
  ExtensionInterfaceVersion: NdkVersion,
  pExtensionInterface: Out<NdkExtensionInterface>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_QUERY_ADAPTER_INFO` (PASSIVE, may block): byte-count in/out protocol on `pBufferSize`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnQueryAdapterInfo = (
  pNdkAdapter: NdkAdapter,
  pInfo: Out<NdkAdapterInfo> | null,
  pBufferSize: InOut<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_CQ`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateCq = (
  pNdkAdapter: NdkAdapter,
  CqDepth: ULONG,
  CqNotification: NdkCqNotificationCallback,
  CqNotificationContext: unknown,
  Affinity: GroupAffinity | null,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkCq: Out<NdkCq>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_PD`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreatePd = (
  pNdkAdapter: NdkAdapter,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkPd: Out<NdkPd>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_SHARED_ENDPOINT`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateSharedEndpoint = (
  pNdkAdapter: NdkAdapter,
  pAddress: SockAddr,
  AddressLength: ULONG,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkSharedEndpoint: Out<NdkSharedEndpoint>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_CONNECTOR`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateConnector = (
  pNdkAdapter: NdkAdapter,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkConnector: Out<NdkConnector>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_LISTENER`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateListener = (
  pNdkAdapter: NdkAdapter,
  ConnectEvent: NdkConnectEventCallback,
  ConnectEventContext: unknown,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkListener: Out<NdkListener>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_BUILD_LAM`. `RequestCompletion` is optional in the header (`_In_opt_`), required in the doc
 * (§13 D14): `null` is usable only when the request completes inline.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnBuildLam = (
  pNdkAdapter: NdkAdapter,
  Mdl: Mdl,
  Length: SIZE_T,
  RequestCompletion: NdkRequestCompletion | null,
  RequestContext: unknown,
  pNdkLAM: Out<NdkLogicalAddressMapping> | null,
  pLAMSize: InOut<ULONG>,
  pFBO: Out<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_RELEASE_LAM` (void).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnReleaseLam = (pNdkAdapter: NdkAdapter, pNdkLAM: NdkLogicalAddressMapping) => Effect.Effect<void>

/**
 * `NDK_FN_RESIZE_CQ`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnResizeCq = (
  pNdkCq: NdkCq,
  CqDepth: ULONG,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_ARM_CQ` (void): requests one future `NdkCqNotificationCallback`. `Type` is an `NDK_CQ_NOTIFY_*` value.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnArmCq = (pNdkCq: NdkCq, Type: ULONG) => Effect.Effect<void>

/**
 * `NDK_FN_GET_CQ_RESULTS`: writes up to `nResults` completions (oldest first) into `Results` and returns how many.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetCqResults = (pNdkCq: NdkCq, Results: Array<NdkResult>, nResults: ULONG) => Effect.Effect<ULONG>

/**
 * `NDK_FN_CONTROL_CQ_INTERRUPT_MODERATION` (never pends).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnControlCqInterruptModeration = (
  pNdkCq: NdkCq,
  ModerationInterval: ULONG,
  ModerationCount: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_CQ_RESULTS_EX` [1.2].
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetCqResultsEx = (
  pNdkCq: NdkCq,
  Results: Array<NdkResultEx>,
  nResults: ULONG
) => Effect.Effect<ULONG>

/**
 * `NDK_FN_REGISTER_MR`. `Flags` are `NDK_MR_FLAG_*`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnRegisterMr = (
  pNdkMr: NdkMr,
  Mdl: Mdl,
  Length: SIZE_T,
  Flags: ULONG,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_DEREGISTER_MR`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnDeregisterMr = (
  pNdkMr: NdkMr,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_INITIALIZE_FAST_REGISTER_MR`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnInitializeFastRegisterMr = (
  pNdkMr: NdkMr,
  AdapterPageCount: ULONG,
  RemoteAccess: boolean,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_REMOTE_TOKEN_FROM_MR` (returns the token).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetRemoteTokenFromMr = (pNdkMr: NdkMr) => Effect.Effect<UINT32>

/**
 * `NDK_FN_GET_LOCAL_TOKEN_FROM_MR` (returns the token).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetLocalTokenFromMr = (pNdkMr: NdkMr) => Effect.Effect<UINT32>

/**
 * `NDK_FN_GET_REMOTE_TOKEN_FROM_MW` (returns the token).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetRemoteTokenFromMw = (pNdkMw: NdkMw) => Effect.Effect<UINT32>

/**
 * `NDK_FN_MODIFY_SRQ`. `SrqDepth` 0 keeps the depth; `NotifyThreshold` 0 keeps threshold and arm state.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnModifySrq = (
  pNdkSrq: NdkSrq,
  SrqDepth: ULONG,
  NotifyThreshold: ULONG,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_SRQ_RECEIVE` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnSrqReceive = (
  pNdkSrq: NdkSrq,
  RequestContext: unknown,
  pSgl: ReadonlyArray<NdkSge>,
  nSge: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_FLUSH` (void): starts cancelling every outstanding WR of the QP (`STATUS_CANCELLED` CQ entries).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnFlush = (pNdkQp: NdkQp) => Effect.Effect<void>

/**
 * `NDK_FN_SEND` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnSend = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pSgl: ReadonlyArray<NdkSge>,
  nSge: ULONG,
  Flags: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_RECEIVE` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnReceive = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pSgl: ReadonlyArray<NdkSge>,
  nSge: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_BIND` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnBind = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pMr: NdkMr,
  pMw: NdkMw,
  VirtualAddress: VirtualAddress,
  Length: SIZE_T,
  Flags: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_FAST_REGISTER` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnFastRegister = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pMr: NdkMr,
  AdapterPageCount: ULONG,
  AdapterPageArray: ReadonlyArray<LogicalAddress>,
  FBO: ULONG,
  Length: SIZE_T,
  BaseVirtualAddress: VirtualAddress,
  Flags: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_INVALIDATE` (work request): the target is a fast-registered MR or a bound MW.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnInvalidate = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pNdkMrOrMw: NdkMr | NdkMw,
  Flags: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_READ` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnRead = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pSgl: ReadonlyArray<NdkSge>,
  nSge: ULONG,
  RemoteAddress: UINT64,
  RemoteToken: UINT32,
  Flags: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_WRITE` (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnWrite = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pSgl: ReadonlyArray<NdkSge>,
  nSge: ULONG,
  RemoteAddress: UINT64,
  RemoteToken: UINT32,
  Flags: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_SEND_AND_INVALIDATE` [1.2] (work request).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnSendAndInvalidate = (
  pNdkQp: NdkQp,
  RequestContext: unknown,
  pSgl: ReadonlyArray<NdkSge>,
  nSge: ULONG,
  Flags: ULONG,
  RemoteToken: UINT32
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_MR`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateMr = (
  pNdkPd: NdkPd,
  FastRegister: boolean,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkMr: Out<NdkMr>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_MW`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateMw = (
  pNdkPd: NdkPd,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkMw: Out<NdkMw>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_SRQ`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateSrq = (
  pNdkPd: NdkPd,
  SrqDepth: ULONG,
  MaxReceiveRequestSge: ULONG,
  NotifyThreshold: ULONG,
  SrqNotification: NdkSrqNotificationCallback | null,
  SrqNotificationContext: unknown,
  Affinity: GroupAffinity | null,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkSrq: Out<NdkSrq>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_QP`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateQp = (
  pNdkPd: NdkPd,
  pReceiveCq: NdkCq,
  pInitiatorCq: NdkCq,
  QPContext: unknown,
  ReceiveQueueDepth: ULONG,
  InitiatorQueueDepth: ULONG,
  MaxReceiveRequestSge: ULONG,
  MaxInitiatorRequestSge: ULONG,
  InlineDataSize: ULONG,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkQp: Out<NdkQp>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CREATE_QP_WITH_SRQ`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCreateQpWithSrq = (
  pNdkPd: NdkPd,
  pReceiveCq: NdkCq,
  pInitiatorCq: NdkCq,
  pSrq: NdkSrq,
  QPContext: unknown,
  InitiatorQueueDepth: ULONG,
  MaxInitiatorRequestSge: ULONG,
  InlineDataSize: ULONG,
  CreateCompletion: NdkCreateCompletion,
  RequestContext: unknown,
  ppNdkQp: Out<NdkQp>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_PRIVILEGED_MEMORY_REGION_TOKEN` (void, token in `pToken`).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetPrivilegedMemoryRegionToken = (pNdkPd: NdkPd, pToken: Out<UINT32>) => Effect.Effect<void>

/**
 * `NDK_FN_GET_SHARED_ENDPOINT_LOCAL_ADDRESS`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetSharedEndpointLocalAddress = (
  pNdkSharedEndpoint: NdkSharedEndpoint,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CONNECT`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnConnect = (
  pNdkConnector: NdkConnector,
  pNdkQp: NdkQp,
  pSrcAddress: SockAddr,
  SrcAddressLength: ULONG,
  pDestAddress: SockAddr,
  DestAddressLength: ULONG,
  InboundReadLimit: ULONG,
  OutboundReadLimit: ULONG,
  pPrivateData: Uint8Array | null,
  PrivateDataLength: ULONG,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CONNECT_WITH_SHARED_ENDPOINT`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnConnectWithSharedEndpoint = (
  pNdkConnector: NdkConnector,
  pNdkQp: NdkQp,
  pNdkSharedEndpoint: NdkSharedEndpoint,
  pDestAddress: SockAddr,
  DestAddressLength: ULONG,
  InboundReadLimit: ULONG,
  OutboundReadLimit: ULONG,
  pPrivateData: Uint8Array | null,
  PrivateDataLength: ULONG,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_COMPLETE_CONNECT`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCompleteConnect = (
  pNdkConnector: NdkConnector,
  DisconnectEvent: NdkDisconnectEventCallback | null,
  DisconnectEventContext: unknown,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_ACCEPT`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnAccept = (
  pNdkConnector: NdkConnector,
  pNdkQp: NdkQp,
  InboundReadLimit: ULONG,
  OutboundReadLimit: ULONG,
  pPrivateData: Uint8Array | null,
  PrivateDataLength: ULONG,
  DisconnectEvent: NdkDisconnectEventCallback | null,
  DisconnectEventContext: unknown,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_REJECT` (synchronous; no completion parameter).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnReject = (
  pNdkConnector: NdkConnector,
  pPrivateData: Uint8Array | null,
  PrivateDataLength: ULONG
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_CONNECTION_DATA`: effective IRD/ORD and the peer's private data (RDS protocol on
 * `pPrivateDataLength`).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetConnectionData = (
  pNdkConnector: NdkConnector,
  pInboundReadLimit: Out<ULONG> | null,
  pOutboundReadLimit: Out<ULONG> | null,
  pPrivateData: Uint8Array | null,
  pPrivateDataLength: InOut<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_LOCAL_ADDRESS` (connector).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetLocalAddress = (
  pNdkConnector: NdkConnector,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_PEER_ADDRESS` (connector).
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetPeerAddress = (
  pNdkConnector: NdkConnector,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_DISCONNECT`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnDisconnect = (
  pNdkConnector: NdkConnector,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_COMPLETE_CONNECT_EX` [2.1].
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnCompleteConnectEx = (
  pNdkConnector: NdkConnector,
  DisconnectEvent: NdkDisconnectEventCallbackEx | null,
  DisconnectEventContext: unknown,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_ACCEPT_EX` [2.1].
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnAcceptEx = (
  pNdkConnector: NdkConnector,
  pNdkQp: NdkQp,
  InboundReadLimit: ULONG,
  OutboundReadLimit: ULONG,
  pPrivateData: Uint8Array | null,
  PrivateDataLength: ULONG,
  DisconnectEvent: NdkDisconnectEventCallbackEx | null,
  DisconnectEventContext: unknown,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_LISTEN`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnListen = (
  pNdkListener: NdkListener,
  pAddress: SockAddr,
  AddressLength: ULONG,
  RequestCompletion: NdkRequestCompletion,
  RequestContext: unknown
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_GET_LISTENER_LOCAL_ADDRESS`.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnGetListenerLocalAddress = (
  pNdkListener: NdkListener,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<ULONG>
) => Effect.Effect<NTSTATUS>

/**
 * `NDK_FN_CONTROL_CONNECT_EVENTS` (void): pause or resume connect events.
 *
 * @since 0.1.0
 * @category functions
 */
export type NdkFnControlConnectEvents = (pNdkListener: NdkListener, Pause: boolean) => Effect.Effect<void>

// ---------------------------------------------------------------------------------------------------------------
// dispatch tables (§6.2–§6.11), members in slot order
// ---------------------------------------------------------------------------------------------------------------

/**
 * `NDK_ADAPTER_DISPATCH` (9 entries; no close entry: the adapter closes through NDIS/WSK, §13 D1).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkAdapterDispatch {
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkQueryAdapterInfo: NdkFnQueryAdapterInfo
  readonly NdkCreateCq: NdkFnCreateCq
  readonly NdkCreatePd: NdkFnCreatePd
  readonly NdkCreateSharedEndpoint: NdkFnCreateSharedEndpoint
  readonly NdkCreateConnector: NdkFnCreateConnector
  readonly NdkCreateListener: NdkFnCreateListener
  readonly NdkBuildLAM: NdkFnBuildLam
  readonly NdkReleaseLAM: NdkFnReleaseLam
}

/**
 * `NDK_CQ_DISPATCH` (7 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkCqDispatch {
  readonly NdkCloseCq: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkResizeCq: NdkFnResizeCq
  readonly NdkArmCq: NdkFnArmCq
  readonly NdkGetCqResults: NdkFnGetCqResults
  readonly NdkControlCqInterruptModeration: NdkFnControlCqInterruptModeration
  /** [1.2] */
  readonly NdkGetCqResultsEx: NdkFnGetCqResultsEx
}

/**
 * `NDK_MR_DISPATCH` (7 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkMrDispatch {
  readonly NdkCloseMr: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkRegisterMr: NdkFnRegisterMr
  readonly NdkDeregisterMr: NdkFnDeregisterMr
  readonly NdkInitializeFastRegisterMr: NdkFnInitializeFastRegisterMr
  readonly NdkGetRemoteTokenFromMr: NdkFnGetRemoteTokenFromMr
  readonly NdkGetLocalTokenFromMr: NdkFnGetLocalTokenFromMr
}

/**
 * `NDK_MW_DISPATCH` (3 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkMwDispatch {
  readonly NdkCloseMw: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkGetRemoteTokenFromMw: NdkFnGetRemoteTokenFromMw
}

/**
 * `NDK_SRQ_DISPATCH` (4 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkSrqDispatch {
  readonly NdkCloseSrq: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkModifySrq: NdkFnModifySrq
  readonly NdkSrqReceive: NdkFnSrqReceive
}

/**
 * `NDK_QP_DISPATCH` (11 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkQpDispatch {
  readonly NdkCloseQp: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkFlush: NdkFnFlush
  readonly NdkSend: NdkFnSend
  readonly NdkReceive: NdkFnReceive
  readonly NdkBind: NdkFnBind
  readonly NdkFastRegister: NdkFnFastRegister
  readonly NdkInvalidate: NdkFnInvalidate
  readonly NdkRead: NdkFnRead
  readonly NdkWrite: NdkFnWrite
  /** [1.2] */
  readonly NdkSendAndInvalidate: NdkFnSendAndInvalidate
}

/**
 * `NDK_PD_DISPATCH` (8 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkPdDispatch {
  readonly NdkClosePd: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkCreateMr: NdkFnCreateMr
  readonly NdkCreateMw: NdkFnCreateMw
  readonly NdkCreateSrq: NdkFnCreateSrq
  readonly NdkCreateQp: NdkFnCreateQp
  readonly NdkCreateQpWithSrq: NdkFnCreateQpWithSrq
  readonly NdkGetPrivilegedMemoryRegionToken: NdkFnGetPrivilegedMemoryRegionToken
}

/**
 * `NDK_SHARED_ENDPOINT_DISPATCH` (3 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkSharedEndpointDispatch {
  readonly NdkCloseSharedEndpoint: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkGetLocalAddress: NdkFnGetSharedEndpointLocalAddress
}

/**
 * `NDK_CONNECTOR_DISPATCH` (13 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkConnectorDispatch {
  readonly NdkCloseConnector: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkConnect: NdkFnConnect
  readonly NdkConnectWithSharedEndpoint: NdkFnConnectWithSharedEndpoint
  readonly NdkCompleteConnect: NdkFnCompleteConnect
  readonly NdkAccept: NdkFnAccept
  readonly NdkReject: NdkFnReject
  readonly NdkGetConnectionData: NdkFnGetConnectionData
  readonly NdkGetLocalAddress: NdkFnGetLocalAddress
  readonly NdkGetPeerAddress: NdkFnGetPeerAddress
  readonly NdkDisconnect: NdkFnDisconnect
  /** [2.1] */
  readonly NdkCompleteConnectEx: NdkFnCompleteConnectEx
  /** [2.1] */
  readonly NdkAcceptEx: NdkFnAcceptEx
}

/**
 * `NDK_LISTENER_DISPATCH` (5 entries).
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface NdkListenerDispatch {
  readonly NdkCloseListener: NdkFnCloseObject
  readonly NdkQueryExtension: NdkFnQueryExtensionInterface
  readonly NdkListen: NdkFnListen
  readonly NdkGetLocalAddress: NdkFnGetListenerLocalAddress
  readonly NdkControlConnectEvents: NdkFnControlConnectEvents
}

// ---------------------------------------------------------------------------------------------------------------
// synchronous hot-path twins (outside the dispatch tables)
// ---------------------------------------------------------------------------------------------------------------

/**
 * The synchronous twin of an Effect-returning dispatch function: same parameters, plain result.
 *
 * @since 0.1.0
 * @category unsafe twins
 */
export type Unsafe<F> = F extends (...args: infer A) => Effect.Effect<infer R> ? (...args: A) => R : never

/**
 * Names of the QP functions that have an `unsafe` twin: the work-request posts.
 *
 * @since 0.1.0
 * @category unsafe twins
 */
export type QpUnsafeName =
  | "NdkSend"
  | "NdkReceive"
  | "NdkBind"
  | "NdkFastRegister"
  | "NdkInvalidate"
  | "NdkRead"
  | "NdkWrite"
  | "NdkSendAndInvalidate"

/**
 * Synchronous twins of the QP's work-request posts (return the NTSTATUS directly).
 *
 * @since 0.1.0
 * @category unsafe twins
 */
export type NdkQpUnsafe = { readonly [K in QpUnsafeName]: Unsafe<NdkQpDispatch[K]> }

/**
 * Synchronous twin of `NdkSrqReceive`.
 *
 * @since 0.1.0
 * @category unsafe twins
 */
export type NdkSrqUnsafe = { readonly NdkSrqReceive: Unsafe<NdkFnSrqReceive> }

/**
 * Names of the CQ functions that have an `unsafe` twin.
 *
 * @since 0.1.0
 * @category unsafe twins
 */
export type CqUnsafeName = "NdkArmCq" | "NdkGetCqResults" | "NdkGetCqResultsEx"

/**
 * Synchronous twins of polling and arming a CQ.
 *
 * @since 0.1.0
 * @category unsafe twins
 */
export type NdkCqUnsafe = { readonly [K in CqUnsafeName]: Unsafe<NdkCqDispatch[K]> }

// ---------------------------------------------------------------------------------------------------------------
// objects (§4.2: { Header; Dispatch })
// ---------------------------------------------------------------------------------------------------------------

type T = typeof NdkObjectType

/**
 * `NDK_ADAPTER`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkAdapter {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeAdapter"]>
  readonly Dispatch: NdkAdapterDispatch
}

/**
 * `NDK_CQ`, with optional synchronous twins.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkCq {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeCq"]>
  readonly Dispatch: NdkCqDispatch
  readonly unsafe?: NdkCqUnsafe
}

/**
 * `NDK_MR`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkMr {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeMr"]>
  readonly Dispatch: NdkMrDispatch
}

/**
 * `NDK_MW`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkMw {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeMw"]>
  readonly Dispatch: NdkMwDispatch
}

/**
 * `NDK_SRQ`, with an optional synchronous receive twin.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkSrq {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeSrq"]>
  readonly Dispatch: NdkSrqDispatch
  readonly unsafe?: NdkSrqUnsafe
}

/**
 * `NDK_QP`, with optional synchronous work-request twins.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkQp {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeQp"]>
  readonly Dispatch: NdkQpDispatch
  readonly unsafe?: NdkQpUnsafe
}

/**
 * `NDK_PD`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkPd {
  readonly Header: NdkObjectHeader<T["NdkObjectTypePd"]>
  readonly Dispatch: NdkPdDispatch
}

/**
 * `NDK_SHARED_ENDPOINT`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkSharedEndpoint {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeSharedEndpoint"]>
  readonly Dispatch: NdkSharedEndpointDispatch
}

/**
 * `NDK_CONNECTOR`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkConnector {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeConnector"]>
  readonly Dispatch: NdkConnectorDispatch
}

/**
 * `NDK_LISTENER`.
 *
 * @since 0.1.0
 * @category objects
 */
export interface NdkListener {
  readonly Header: NdkObjectHeader<T["NdkObjectTypeListener"]>
  readonly Dispatch: NdkListenerDispatch
}

/**
 * Any NDK object.
 *
 * @since 0.1.0
 * @category objects
 */
export type NdkObject =
  | NdkAdapter
  | NdkCq
  | NdkMr
  | NdkMw
  | NdkSrq
  | NdkQp
  | NdkPd
  | NdkSharedEndpoint
  | NdkConnector
  | NdkListener

/**
 * The object struct that carries a given object type.
 *
 * @since 0.1.0
 * @category objects
 */
export type ObjectOfType<K extends LiveObjectType> = Extract<NdkObject, { readonly Header: NdkObjectHeader<K> }>

/**
 * The dispatch table of each object kind, by kind name.
 *
 * @since 0.1.0
 * @category dispatch tables
 */
export interface DispatchTables {
  readonly Adapter: NdkAdapterDispatch
  readonly Cq: NdkCqDispatch
  readonly Mr: NdkMrDispatch
  readonly Mw: NdkMwDispatch
  readonly Srq: NdkSrqDispatch
  readonly Qp: NdkQpDispatch
  readonly Pd: NdkPdDispatch
  readonly SharedEndpoint: NdkSharedEndpointDispatch
  readonly Connector: NdkConnectorDispatch
  readonly Listener: NdkListenerDispatch
}

/**
 * Narrows an object by its header's type tag (what a consumer does with the `pNdkObject` of a create completion).
 *
 * @since 0.1.0
 * @category refinements
 */
export const isObjectOfType = <K extends LiveObjectType>(object: NdkObject, type: K): object is ObjectOfType<K> =>
  object.Header.ObjectType === type
