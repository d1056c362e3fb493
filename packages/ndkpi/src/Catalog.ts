/**
 * The catalogue of the raw interface (SPEC.md §6.0, §7, §12): the member names of every dispatch table in slot
 * order, the 53 `NDK_FN_*` provider function types with their kind, completion callback and version, and the
 * consumer callbacks. A compile-time check ties the name lists to the dispatch interfaces of
 * {@link RawInterface} in both directions.
 *
 * @since 0.1.0
 */
import type { NdkVersion } from "./NdkVersion.js"
import { V1_1, V1_2, V2_1 } from "./NdkVersion.js"
import type { ObjectKind } from "./ObjectType.js"
import type * as RawInterface from "./RawInterface.js"

/**
 * `NDK_ADAPTER_DISPATCH` members in slot order (9).
 *
 * @since 0.1.0
 * @category names
 */
export const AdapterDispatchNames = [
  "NdkQueryExtension",
  "NdkQueryAdapterInfo",
  "NdkCreateCq",
  "NdkCreatePd",
  "NdkCreateSharedEndpoint",
  "NdkCreateConnector",
  "NdkCreateListener",
  "NdkBuildLAM",
  "NdkReleaseLAM"
] as const

/**
 * `NDK_CQ_DISPATCH` members in slot order (7).
 *
 * @since 0.1.0
 * @category names
 */
export const CqDispatchNames = [
  "NdkCloseCq",
  "NdkQueryExtension",
  "NdkResizeCq",
  "NdkArmCq",
  "NdkGetCqResults",
  "NdkControlCqInterruptModeration",
  "NdkGetCqResultsEx"
] as const

/**
 * `NDK_MR_DISPATCH` members in slot order (7).
 *
 * @since 0.1.0
 * @category names
 */
export const MrDispatchNames = [
  "NdkCloseMr",
  "NdkQueryExtension",
  "NdkRegisterMr",
  "NdkDeregisterMr",
  "NdkInitializeFastRegisterMr",
  "NdkGetRemoteTokenFromMr",
  "NdkGetLocalTokenFromMr"
] as const

/**
 * `NDK_MW_DISPATCH` members in slot order (3).
 *
 * @since 0.1.0
 * @category names
 */
export const MwDispatchNames = ["NdkCloseMw", "NdkQueryExtension", "NdkGetRemoteTokenFromMw"] as const

/**
 * `NDK_SRQ_DISPATCH` members in slot order (4).
 *
 * @since 0.1.0
 * @category names
 */
export const SrqDispatchNames = ["NdkCloseSrq", "NdkQueryExtension", "NdkModifySrq", "NdkSrqReceive"] as const

/**
 * `NDK_QP_DISPATCH` members in slot order (11).
 *
 * @since 0.1.0
 * @category names
 */
export const QpDispatchNames = [
  "NdkCloseQp",
  "NdkQueryExtension",
  "NdkFlush",
  "NdkSend",
  "NdkReceive",
  "NdkBind",
  "NdkFastRegister",
  "NdkInvalidate",
  "NdkRead",
  "NdkWrite",
  "NdkSendAndInvalidate"
] as const

/**
 * `NDK_PD_DISPATCH` members in slot order (8).
 *
 * @since 0.1.0
 * @category names
 */
export const PdDispatchNames = [
  "NdkClosePd",
  "NdkQueryExtension",
  "NdkCreateMr",
  "NdkCreateMw",
  "NdkCreateSrq",
  "NdkCreateQp",
  "NdkCreateQpWithSrq",
  "NdkGetPrivilegedMemoryRegionToken"
] as const

/**
 * `NDK_SHARED_ENDPOINT_DISPATCH` members in slot order (3).
 *
 * @since 0.1.0
 * @category names
 */
export const SharedEndpointDispatchNames = [
  "NdkCloseSharedEndpoint",
  "NdkQueryExtension",
  "NdkGetLocalAddress"
] as const

/**
 * `NDK_CONNECTOR_DISPATCH` members in slot order (13).
 *
 * @since 0.1.0
 * @category names
 */
export const ConnectorDispatchNames = [
  "NdkCloseConnector",
  "NdkQueryExtension",
  "NdkConnect",
  "NdkConnectWithSharedEndpoint",
  "NdkCompleteConnect",
  "NdkAccept",
  "NdkReject",
  "NdkGetConnectionData",
  "NdkGetLocalAddress",
  "NdkGetPeerAddress",
  "NdkDisconnect",
  "NdkCompleteConnectEx",
  "NdkAcceptEx"
] as const

/**
 * `NDK_LISTENER_DISPATCH` members in slot order (5).
 *
 * @since 0.1.0
 * @category names
 */
export const ListenerDispatchNames = [
  "NdkCloseListener",
  "NdkQueryExtension",
  "NdkListen",
  "NdkGetLocalAddress",
  "NdkControlConnectEvents"
] as const

/**
 * Every dispatch table's member names, by object kind.
 *
 * @since 0.1.0
 * @category names
 */
export const dispatchNames = {
  Adapter: AdapterDispatchNames,
  Qp: QpDispatchNames,
  Cq: CqDispatchNames,
  Mr: MrDispatchNames,
  Mw: MwDispatchNames,
  Pd: PdDispatchNames,
  SharedEndpoint: SharedEndpointDispatchNames,
  Connector: ConnectorDispatchNames,
  Listener: ListenerDispatchNames,
  Srq: SrqDispatchNames
} as const satisfies { readonly [K in ObjectKind]: ReadonlyArray<keyof RawInterface.DispatchTables[K]> }

// ---------------------------------------------------------------------------------------------------------------
// compile-time check: interface keys == name lists, both directions
// ---------------------------------------------------------------------------------------------------------------

/**
 * `true` when `A` and `B` are the same type, else `false`.
 *
 * @since 0.1.0
 * @category type-level
 */
export type Equals<A, B> = (<X>() => X extends A ? 1 : 2) extends (<X>() => X extends B ? 1 : 2) ? true : false

/**
 * For every object kind: do the dispatch interface's keys equal the name list (both directions)?
 *
 * @since 0.1.0
 * @category type-level
 */
export type DispatchNamesMatch = {
  readonly [K in ObjectKind]: Equals<keyof RawInterface.DispatchTables[K], typeof dispatchNames[K][number]>
}

/**
 * Fails to compile unless every dispatch interface has exactly the members of its name list.
 *
 * @since 0.1.0
 * @category type-level
 */
export const dispatchNamesMatch: DispatchNamesMatch = {
  Adapter: true,
  Qp: true,
  Cq: true,
  Mr: true,
  Mw: true,
  Pd: true,
  SharedEndpoint: true,
  Connector: true,
  Listener: true,
  Srq: true
}

// ---------------------------------------------------------------------------------------------------------------
// the 53 NDK_FN_* provider function types
// ---------------------------------------------------------------------------------------------------------------

/**
 * Kind of a provider function: `S` synchronous (never a completion callback), `P` may pend (`STATUS_PENDING` ⇒ one
 * callback), `WR` posts a work request (success ⇒ a CQ entry later; never pends).
 *
 * @since 0.1.0
 * @category models
 */
export type FunctionKind = "S" | "P" | "WR"

/**
 * The completion callback a `P` function takes.
 *
 * @since 0.1.0
 * @category models
 */
export type CompletionName = "NdkCreateCompletion" | "NdkRequestCompletion" | "NdkCloseCompletion"

/**
 * One `NDK_FN_*` type of SPEC.md §6.0 and the dispatch members that have it.
 *
 * @since 0.1.0
 * @category models
 */
export interface FunctionType {
  /** Row number in SPEC.md §6.0 (1..53). */
  readonly index: number
  readonly fnType: string
  readonly members: ReadonlyArray<{ readonly table: ObjectKind; readonly member: string }>
  readonly kind: FunctionKind
  /** What the `S` function returns when it is not an NTSTATUS. */
  readonly returns: "NTSTATUS" | "void" | "count" | "token"
  readonly completion: CompletionName | null
  readonly version: NdkVersion
  /** PASSIVE_LEVEL only (else IRQL ≤ DISPATCH). */
  readonly passive: boolean
}

const everyClosable: ReadonlyArray<readonly [ObjectKind, string]> = [
  ["Cq", "NdkCloseCq"],
  ["Mr", "NdkCloseMr"],
  ["Mw", "NdkCloseMw"],
  ["Srq", "NdkCloseSrq"],
  ["Qp", "NdkCloseQp"],
  ["Pd", "NdkClosePd"],
  ["SharedEndpoint", "NdkCloseSharedEndpoint"],
  ["Connector", "NdkCloseConnector"],
  ["Listener", "NdkCloseListener"]
]

const everyTable: ReadonlyArray<ObjectKind> = [
  "Adapter",
  "Cq",
  "Mr",
  "Mw",
  "Srq",
  "Qp",
  "Pd",
  "SharedEndpoint",
  "Connector",
  "Listener"
]

let row = 0
const fn = (
  fnType: string,
  members: ReadonlyArray<readonly [ObjectKind, string]>,
  kind: FunctionKind,
  completion: CompletionName | null,
  options: { readonly version?: NdkVersion; readonly returns?: FunctionType["returns"]; readonly passive?: boolean } =
    {}
): FunctionType => ({
  index: ++row,
  fnType,
  members: members.map(([table, member]) => ({ table, member })),
  kind,
  returns: options.returns ?? "NTSTATUS",
  completion,
  version: options.version ?? V1_1,
  passive: options.passive ?? false
})

/**
 * The 53 `NDK_FN_*` provider function types in SPEC.md §6.0 order.
 *
 * @since 0.1.0
 * @category catalogue
 */
export const functionTypes: ReadonlyArray<FunctionType> = [
  fn("NDK_FN_CLOSE_OBJECT", everyClosable, "P", "NdkCloseCompletion"),
  fn("NDK_FN_QUERY_EXTENSION_INTERFACE", everyTable.map((t) => [t, "NdkQueryExtension"] as const), "S", null),
  fn("NDK_FN_QUERY_ADAPTER_INFO", [["Adapter", "NdkQueryAdapterInfo"]], "S", null, { passive: true }),
  fn("NDK_FN_CREATE_CQ", [["Adapter", "NdkCreateCq"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_PD", [["Adapter", "NdkCreatePd"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_SHARED_ENDPOINT", [["Adapter", "NdkCreateSharedEndpoint"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_CONNECTOR", [["Adapter", "NdkCreateConnector"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_LISTENER", [["Adapter", "NdkCreateListener"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_BUILD_LAM", [["Adapter", "NdkBuildLAM"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_RELEASE_LAM", [["Adapter", "NdkReleaseLAM"]], "S", null, { returns: "void" }),
  fn("NDK_FN_RESIZE_CQ", [["Cq", "NdkResizeCq"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_ARM_CQ", [["Cq", "NdkArmCq"]], "S", null, { returns: "void" }),
  fn("NDK_FN_GET_CQ_RESULTS", [["Cq", "NdkGetCqResults"]], "S", null, { returns: "count" }),
  fn("NDK_FN_CONTROL_CQ_INTERRUPT_MODERATION", [["Cq", "NdkControlCqInterruptModeration"]], "S", null),
  fn("NDK_FN_GET_CQ_RESULTS_EX", [["Cq", "NdkGetCqResultsEx"]], "S", null, { returns: "count", version: V1_2 }),
  fn("NDK_FN_REGISTER_MR", [["Mr", "NdkRegisterMr"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_DEREGISTER_MR", [["Mr", "NdkDeregisterMr"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_INITIALIZE_FAST_REGISTER_MR", [["Mr", "NdkInitializeFastRegisterMr"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_GET_REMOTE_TOKEN_FROM_MR", [["Mr", "NdkGetRemoteTokenFromMr"]], "S", null, { returns: "token" }),
  fn("NDK_FN_GET_LOCAL_TOKEN_FROM_MR", [["Mr", "NdkGetLocalTokenFromMr"]], "S", null, { returns: "token" }),
  fn("NDK_FN_GET_REMOTE_TOKEN_FROM_MW", [["Mw", "NdkGetRemoteTokenFromMw"]], "S", null, { returns: "token" }),
  fn("NDK_FN_MODIFY_SRQ", [["Srq", "NdkModifySrq"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_SRQ_RECEIVE", [["Srq", "NdkSrqReceive"]], "WR", null),
  fn("NDK_FN_FLUSH", [["Qp", "NdkFlush"]], "S", null, { returns: "void" }),
  fn("NDK_FN_SEND", [["Qp", "NdkSend"]], "WR", null),
  fn("NDK_FN_RECEIVE", [["Qp", "NdkReceive"]], "WR", null),
  fn("NDK_FN_BIND", [["Qp", "NdkBind"]], "WR", null),
  fn("NDK_FN_FAST_REGISTER", [["Qp", "NdkFastRegister"]], "WR", null),
  fn("NDK_FN_INVALIDATE", [["Qp", "NdkInvalidate"]], "WR", null),
  fn("NDK_FN_READ", [["Qp", "NdkRead"]], "WR", null),
  fn("NDK_FN_WRITE", [["Qp", "NdkWrite"]], "WR", null),
  fn("NDK_FN_SEND_AND_INVALIDATE", [["Qp", "NdkSendAndInvalidate"]], "WR", null, { version: V1_2 }),
  fn("NDK_FN_CREATE_MR", [["Pd", "NdkCreateMr"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_MW", [["Pd", "NdkCreateMw"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_SRQ", [["Pd", "NdkCreateSrq"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_QP", [["Pd", "NdkCreateQp"]], "P", "NdkCreateCompletion"),
  fn("NDK_FN_CREATE_QP_WITH_SRQ", [["Pd", "NdkCreateQpWithSrq"]], "P", "NdkCreateCompletion"),
  fn(
    "NDK_FN_GET_PRIVILEGED_MEMORY_REGION_TOKEN",
    [["Pd", "NdkGetPrivilegedMemoryRegionToken"]],
    "S",
    null,
    { returns: "void" }
  ),
  fn("NDK_FN_GET_SHARED_ENDPOINT_LOCAL_ADDRESS", [["SharedEndpoint", "NdkGetLocalAddress"]], "S", null),
  fn("NDK_FN_CONNECT", [["Connector", "NdkConnect"]], "P", "NdkRequestCompletion"),
  fn(
    "NDK_FN_CONNECT_WITH_SHARED_ENDPOINT",
    [["Connector", "NdkConnectWithSharedEndpoint"]],
    "P",
    "NdkRequestCompletion"
  ),
  fn("NDK_FN_COMPLETE_CONNECT", [["Connector", "NdkCompleteConnect"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_ACCEPT", [["Connector", "NdkAccept"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_REJECT", [["Connector", "NdkReject"]], "S", null),
  fn("NDK_FN_GET_CONNECTION_DATA", [["Connector", "NdkGetConnectionData"]], "S", null),
  fn("NDK_FN_GET_LOCAL_ADDRESS", [["Connector", "NdkGetLocalAddress"]], "S", null),
  fn("NDK_FN_GET_PEER_ADDRESS", [["Connector", "NdkGetPeerAddress"]], "S", null),
  fn("NDK_FN_DISCONNECT", [["Connector", "NdkDisconnect"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_COMPLETE_CONNECT_EX", [["Connector", "NdkCompleteConnectEx"]], "P", "NdkRequestCompletion", {
    version: V2_1
  }),
  fn("NDK_FN_ACCEPT_EX", [["Connector", "NdkAcceptEx"]], "P", "NdkRequestCompletion", { version: V2_1 }),
  fn("NDK_FN_LISTEN", [["Listener", "NdkListen"]], "P", "NdkRequestCompletion"),
  fn("NDK_FN_GET_LISTENER_LOCAL_ADDRESS", [["Listener", "NdkGetLocalAddress"]], "S", null),
  fn("NDK_FN_CONTROL_CONNECT_EVENTS", [["Listener", "NdkControlConnectEvents"]], "S", null, { returns: "void" })
]

/**
 * One dispatch-table slot with everything the catalogue knows about it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Slot {
  readonly table: ObjectKind
  readonly slot: number
  readonly member: string
  readonly function: FunctionType
}

const byMember: ReadonlyMap<string, FunctionType> = new Map(
  functionTypes.flatMap((f) => f.members.map((m) => [`${m.table}.${m.member}`, f] as const))
)

/**
 * The slots of one dispatch table in order, each with its function type.
 *
 * @since 0.1.0
 * @category catalogue
 */
export const slotsOf = (table: ObjectKind): ReadonlyArray<Slot> =>
  (dispatchNames[table] as ReadonlyArray<string>).map((member, slot) => {
    const f = byMember.get(`${table}.${member}`)
    if (f === undefined) throw new Error(`catalogue has no function type for ${table}.${member}`)
    return { table, slot, member, function: f }
  })

/**
 * The function types a version introduced (exactly that version, not earlier ones).
 *
 * @since 0.1.0
 * @category catalogue
 */
export const introducedIn = (version: NdkVersion): ReadonlyArray<FunctionType> =>
  functionTypes.filter((f) => f.version.Major === version.Major && f.version.Minor === version.Minor)

/**
 * True when a consumer that negotiated `negotiated` may call `f` (minor versions are cumulative).
 *
 * @since 0.1.0
 * @category catalogue
 */
export const isAvailableAt = (f: FunctionType, negotiated: NdkVersion): boolean =>
  negotiated.Major > f.version.Major ||
  (negotiated.Major === f.version.Major && negotiated.Minor >= f.version.Minor)

// ---------------------------------------------------------------------------------------------------------------
// consumer callbacks (§7)
// ---------------------------------------------------------------------------------------------------------------

/**
 * One consumer callback type.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallbackType {
  readonly name: string
  readonly fnType: string
  /** Completion callbacks complete one earlier pending call; event callbacks come on the provider's initiative. */
  readonly kind: "completion" | "event"
  readonly parameters: ReadonlyArray<string>
  readonly version: NdkVersion
}

/**
 * The eight consumer callback types (3 completion callbacks, 5 event callbacks) in SPEC.md §7 order.
 *
 * @since 0.1.0
 * @category catalogue
 */
export const callbackTypes: ReadonlyArray<CallbackType> = [
  {
    name: "NdkCreateCompletion",
    fnType: "NDK_FN_CREATE_COMPLETION",
    kind: "completion",
    parameters: ["Context", "Status", "pNdkObject"],
    version: V1_1
  },
  {
    name: "NdkRequestCompletion",
    fnType: "NDK_FN_REQUEST_COMPLETION",
    kind: "completion",
    parameters: ["Context", "Status"],
    version: V1_1
  },
  {
    name: "NdkCloseCompletion",
    fnType: "NDK_FN_CLOSE_COMPLETION",
    kind: "completion",
    parameters: ["Context"],
    version: V1_1
  },
  {
    name: "NdkCqNotificationCallback",
    fnType: "NDK_FN_CQ_NOTIFICATION_CALLBACK",
    kind: "event",
    parameters: ["CqNotificationContext", "CqStatus"],
    version: V1_1
  },
  {
    name: "NdkSrqNotificationCallback",
    fnType: "NDK_FN_SRQ_NOTIFICATION_CALLBACK",
    kind: "event",
    parameters: ["SrqNotificationContext", "SrqStatus"],
    version: V1_1
  },
  {
    name: "NdkConnectEventCallback",
    fnType: "NDK_FN_CONNECT_EVENT_CALLBACK",
    kind: "event",
    parameters: ["ConnectEventContext", "pNdkConnector"],
    version: V1_1
  },
  {
    name: "NdkDisconnectEventCallback",
    fnType: "NDK_FN_DISCONNECT_EVENT_CALLBACK",
    kind: "event",
    parameters: ["DisconnectEventContext"],
    version: V1_1
  },
  {
    name: "NdkDisconnectEventCallbackEx",
    fnType: "NDK_FN_DISCONNECT_EVENT_CALLBACK_EX",
    kind: "event",
    parameters: ["DisconnectEventContext", "ProviderDisconnectReason"],
    version: V2_1
  }
]

/**
 * The adapter-level entry points outside the dispatch tables (SPEC.md §1.4).
 *
 * @since 0.1.0
 * @category catalogue
 */
export const entryPoints: ReadonlyArray<
  { readonly name: string; readonly side: "NDIS" | "WSK"; readonly note: string }
> = [
  { name: "OpenNdkAdapter", side: "NDIS", note: "OPEN_NDK_ADAPTER_HANDLER: synchronous, version negotiation" },
  { name: "CloseNdkAdapter", side: "NDIS", note: "CLOSE_NDK_ADAPTER_HANDLER: synchronous, blocking" },
  { name: "WskOpenNdkAdapter", side: "WSK", note: "WSK_PROVIDER_NDK_DISPATCH: PASSIVE" },
  { name: "WskCloseNdkAdapter", side: "WSK", note: "WSK_PROVIDER_NDK_DISPATCH: PASSIVE, blocking" }
]
