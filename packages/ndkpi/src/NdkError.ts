/**
 * Typed errors of the Effect face (SPEC.md §5): one `Data.TaggedError` class per meaning, each carrying the NTSTATUS
 * it stands for, with a total mapping status → error and error → status.
 *
 * Every failing code of {@link NtStatus} maps to exactly one class; any other number (an unknown code, or a
 * non-failure code such as `STATUS_PENDING` where a final failure was expected) maps to {@link StatusError}, which
 * carries it unchanged. So `toStatus(fromStatus(s)) === s` for every unsigned 32-bit `s`.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type { NTSTATUS } from "./NtStatus.js"
import { isSuccess, NtStatus, statusName } from "./NtStatus.js"

const hex = (status: number): string => `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, "0")}`

const describe = (status: number, meaning: string): string => `${statusName(status)} (${hex(status)}): ${meaning}`

type S = typeof NtStatus

/**
 * A parameter is outside the adapter's limits or an invalid combination: `STATUS_INVALID_PARAMETER`, `STATUS_INVALID_PARAMETER_MIX`, `STATUS_INVALID_BUFFER_SIZE`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidParameter extends Data.TaggedError("InvalidParameter")<
  {
    readonly status:
      | S["STATUS_INVALID_PARAMETER"]
      | S["STATUS_INVALID_PARAMETER_MIX"]
      | S["STATUS_INVALID_BUFFER_SIZE"]
  }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_INVALID_PARAMETER,
    NtStatus.STATUS_INVALID_PARAMETER_MIX,
    NtStatus.STATUS_INVALID_BUFFER_SIZE
  ]
  override get message(): string {
    return describe(this.status, "a parameter is outside the adapter's limits or an invalid combination")
  }
}

/**
 * The request is malformed for this object: `STATUS_INVALID_DEVICE_REQUEST`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequest
  extends Data.TaggedError("InvalidRequest")<{ readonly status: S["STATUS_INVALID_DEVICE_REQUEST"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_INVALID_DEVICE_REQUEST]
  override get message(): string {
    return describe(this.status, "the request is malformed for this object")
  }
}

/**
 * Out of memory, hardware resources or queue space: `STATUS_INSUFFICIENT_RESOURCES`, `STATUS_NO_MORE_ENTRIES`, `STATUS_IMPLEMENTATION_LIMIT`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InsufficientResources extends Data.TaggedError("InsufficientResources")<
  {
    readonly status:
      | S["STATUS_INSUFFICIENT_RESOURCES"]
      | S["STATUS_NO_MORE_ENTRIES"]
      | S["STATUS_IMPLEMENTATION_LIMIT"]
  }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_INSUFFICIENT_RESOURCES,
    NtStatus.STATUS_NO_MORE_ENTRIES,
    NtStatus.STATUS_IMPLEMENTATION_LIMIT
  ]
  override get message(): string {
    return describe(this.status, "out of memory, hardware resources or queue space")
  }
}

/**
 * The memory access is not permitted: `STATUS_ACCESS_VIOLATION`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AccessViolation
  extends Data.TaggedError("AccessViolation")<{ readonly status: S["STATUS_ACCESS_VIOLATION"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_ACCESS_VIOLATION]
  override get message(): string {
    return describe(this.status, "the memory access is not permitted")
  }
}

/**
 * The caller's buffer is too small; the required size was written back: `STATUS_BUFFER_TOO_SMALL`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BufferTooSmall
  extends Data.TaggedError("BufferTooSmall")<{ readonly status: S["STATUS_BUFFER_TOO_SMALL"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_BUFFER_TOO_SMALL]
  override get message(): string {
    return describe(this.status, "the caller's buffer is too small; the required size was written back")
  }
}

/**
 * More data or completions than the target can hold: `STATUS_BUFFER_OVERFLOW`, `STATUS_DATA_OVERRUN`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Overflow
  extends Data.TaggedError("Overflow")<{ readonly status: S["STATUS_BUFFER_OVERFLOW"] | S["STATUS_DATA_OVERRUN"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_BUFFER_OVERFLOW, NtStatus.STATUS_DATA_OVERRUN]
  override get message(): string {
    return describe(this.status, "more data or completions than the target can hold")
  }
}

/**
 * The local address, port or connection 4-tuple is already in use: `STATUS_SHARING_VIOLATION`, `STATUS_ADDRESS_ALREADY_EXISTS`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AddressInUse extends Data.TaggedError("AddressInUse")<
  { readonly status: S["STATUS_SHARING_VIOLATION"] | S["STATUS_ADDRESS_ALREADY_EXISTS"] }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_SHARING_VIOLATION,
    NtStatus.STATUS_ADDRESS_ALREADY_EXISTS
  ]
  override get message(): string {
    return describe(this.status, "the local address, port or connection 4-tuple is already in use")
  }
}

/**
 * The local address is not an address of this adapter: `STATUS_INVALID_ADDRESS`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidAddress
  extends Data.TaggedError("InvalidAddress")<{ readonly status: S["STATUS_INVALID_ADDRESS"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_INVALID_ADDRESS]
  override get message(): string {
    return describe(this.status, "the local address is not an address of this adapter")
  }
}

/**
 * No ephemeral port is left: `STATUS_TOO_MANY_ADDRESSES`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AddressesExhausted
  extends Data.TaggedError("AddressesExhausted")<{ readonly status: S["STATUS_TOO_MANY_ADDRESSES"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_TOO_MANY_ADDRESSES]
  override get message(): string {
    return describe(this.status, "no ephemeral port is left")
  }
}

/**
 * The peer refused the connection (no listener, backlog, or rejected): `STATUS_CONNECTION_REFUSED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionRefused
  extends Data.TaggedError("ConnectionRefused")<{ readonly status: S["STATUS_CONNECTION_REFUSED"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_CONNECTION_REFUSED]
  override get message(): string {
    return describe(this.status, "the peer refused the connection (no listener, backlog, or rejected)")
  }
}

/**
 * The connection was reset or disconnected by the peer: `STATUS_CONNECTION_RESET`, `STATUS_CONNECTION_DISCONNECTED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionReset extends Data.TaggedError("ConnectionReset")<
  { readonly status: S["STATUS_CONNECTION_RESET"] | S["STATUS_CONNECTION_DISCONNECTED"] }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_CONNECTION_RESET,
    NtStatus.STATUS_CONNECTION_DISCONNECTED
  ]
  override get message(): string {
    return describe(this.status, "the connection was reset or disconnected by the peer")
  }
}

/**
 * The other side abandoned connection establishment: `STATUS_CONNECTION_ABORTED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionAborted
  extends Data.TaggedError("ConnectionAborted")<{ readonly status: S["STATUS_CONNECTION_ABORTED"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_CONNECTION_ABORTED]
  override get message(): string {
    return describe(this.status, "the other side abandoned connection establishment")
  }
}

/**
 * The remote network or host is unreachable: `STATUS_NETWORK_UNREACHABLE`, `STATUS_HOST_UNREACHABLE`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unreachable extends Data.TaggedError("Unreachable")<
  { readonly status: S["STATUS_NETWORK_UNREACHABLE"] | S["STATUS_HOST_UNREACHABLE"] }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_NETWORK_UNREACHABLE,
    NtStatus.STATUS_HOST_UNREACHABLE
  ]
  override get message(): string {
    return describe(this.status, "the remote network or host is unreachable")
  }
}

/**
 * The connection is not in a state that allows this (not connected, or already connected): `STATUS_CONNECTION_INVALID`, `STATUS_CONNECTION_ACTIVE`.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConnectionInvalid extends Data.TaggedError("ConnectionInvalid")<
  { readonly status: S["STATUS_CONNECTION_INVALID"] | S["STATUS_CONNECTION_ACTIVE"] }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_CONNECTION_INVALID,
    NtStatus.STATUS_CONNECTION_ACTIVE
  ]
  override get message(): string {
    return describe(
      this.status,
      "the connection is not in a state that allows this (not connected, or already connected)"
    )
  }
}

/**
 * The operation timed out: `STATUS_IO_TIMEOUT`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Timeout extends Data.TaggedError("Timeout")<{ readonly status: S["STATUS_IO_TIMEOUT"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_IO_TIMEOUT]
  override get message(): string {
    return describe(this.status, "the operation timed out")
  }
}

/**
 * The request was cancelled (flushed): `STATUS_CANCELLED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class Cancelled extends Data.TaggedError("Cancelled")<{ readonly status: S["STATUS_CANCELLED"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_CANCELLED]
  override get message(): string {
    return describe(this.status, "the request was cancelled (flushed)")
  }
}

/**
 * The object is still in use (e.g. memory windows bound to the region): `STATUS_DEVICE_BUSY`.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeviceBusy extends Data.TaggedError("DeviceBusy")<{ readonly status: S["STATUS_DEVICE_BUSY"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_DEVICE_BUSY]
  override get message(): string {
    return describe(this.status, "the object is still in use (e.g. memory windows bound to the region)")
  }
}

/**
 * The object is in the wrong state (closing, in error, already listening): `STATUS_INVALID_DEVICE_STATE`.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidState
  extends Data.TaggedError("InvalidState")<{ readonly status: S["STATUS_INVALID_DEVICE_STATE"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_INVALID_DEVICE_STATE]
  override get message(): string {
    return describe(this.status, "the object is in the wrong state (closing, in error, already listening)")
  }
}

/**
 * The capability or extension is not provided: `STATUS_NOT_SUPPORTED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotSupported extends Data.TaggedError("NotSupported")<{ readonly status: S["STATUS_NOT_SUPPORTED"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_NOT_SUPPORTED]
  override get message(): string {
    return describe(this.status, "the capability or extension is not provided")
  }
}

/**
 * The device failed (catastrophic, transport data error, or generic failure): `STATUS_INTERNAL_ERROR`, `STATUS_DATA_ERROR`, `STATUS_UNSUCCESSFUL`.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeviceFailure extends Data.TaggedError("DeviceFailure")<
  { readonly status: S["STATUS_INTERNAL_ERROR"] | S["STATUS_DATA_ERROR"] | S["STATUS_UNSUCCESSFUL"] }
> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [
    NtStatus.STATUS_INTERNAL_ERROR,
    NtStatus.STATUS_DATA_ERROR,
    NtStatus.STATUS_UNSUCCESSFUL
  ]
  override get message(): string {
    return describe(this.status, "the device failed (catastrophic, transport data error, or generic failure)")
  }
}

/**
 * The request caused an error at the remote side: `STATUS_REMOTE_RESOURCES`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RemoteError extends Data.TaggedError("RemoteError")<{ readonly status: S["STATUS_REMOTE_RESOURCES"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_REMOTE_RESOURCES]
  override get message(): string {
    return describe(this.status, "the request caused an error at the remote side")
  }
}

/**
 * The adapter was removed: `STATUS_DEVICE_REMOVED`.
 *
 * @since 0.1.0
 * @category errors
 */
export class DeviceRemoved extends Data.TaggedError("DeviceRemoved")<{ readonly status: S["STATUS_DEVICE_REMOVED"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.STATUS_DEVICE_REMOVED]
  override get message(): string {
    return describe(this.status, "the adapter was removed")
  }
}

/**
 * The requested NDK version is not supported: `NDIS_STATUS_BAD_VERSION`.
 *
 * @since 0.1.0
 * @category errors
 */
export class BadVersion extends Data.TaggedError("BadVersion")<{ readonly status: S["NDIS_STATUS_BAD_VERSION"] }> {
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.NDIS_STATUS_BAD_VERSION]
  override get message(): string {
    return describe(this.status, "the requested NDK version is not supported")
  }
}

/**
 * NDK functionality of the miniport is disabled: `NDIS_STATUS_ADAPTER_NOT_READY`.
 *
 * @since 0.1.0
 * @category errors
 */
export class AdapterNotReady
  extends Data.TaggedError("AdapterNotReady")<{ readonly status: S["NDIS_STATUS_ADAPTER_NOT_READY"] }>
{
  /** The status codes this error stands for. */
  static readonly statuses: ReadonlyArray<NTSTATUS> = [NtStatus.NDIS_STATUS_ADAPTER_NOT_READY]
  override get message(): string {
    return describe(this.status, "NDK functionality of the miniport is disabled")
  }
}

/**
 * Any other status: an unknown code, or a non-failure code where a failure was expected. Carries the status as is.
 *
 * @since 0.1.0
 * @category errors
 */
export class StatusError extends Data.TaggedError("StatusError")<{ readonly status: NTSTATUS }> {
  override get message(): string {
    return describe(this.status, "unexpected status")
  }
}

/**
 * Every typed NDK error.
 *
 * @since 0.1.0
 * @category errors
 */
export type NdkError =
  | InvalidParameter
  | InvalidRequest
  | InsufficientResources
  | AccessViolation
  | BufferTooSmall
  | Overflow
  | AddressInUse
  | InvalidAddress
  | AddressesExhausted
  | ConnectionRefused
  | ConnectionReset
  | ConnectionAborted
  | Unreachable
  | ConnectionInvalid
  | Timeout
  | Cancelled
  | DeviceBusy
  | InvalidState
  | NotSupported
  | DeviceFailure
  | RemoteError
  | DeviceRemoved
  | BadVersion
  | AdapterNotReady
  | StatusError

/**
 * The classes that stand for known failing codes, with their codes.
 *
 * @since 0.1.0
 * @category errors
 */
export const errorClasses = [
  InvalidParameter,
  InvalidRequest,
  InsufficientResources,
  AccessViolation,
  BufferTooSmall,
  Overflow,
  AddressInUse,
  InvalidAddress,
  AddressesExhausted,
  ConnectionRefused,
  ConnectionReset,
  ConnectionAborted,
  Unreachable,
  ConnectionInvalid,
  Timeout,
  Cancelled,
  DeviceBusy,
  InvalidState,
  NotSupported,
  DeviceFailure,
  RemoteError,
  DeviceRemoved,
  BadVersion,
  AdapterNotReady
] as const

const constructors: ReadonlyMap<number, (status: NTSTATUS) => NdkError> = new Map(
  ([
    [InvalidParameter.statuses, (s) => new InvalidParameter({ status: s as InvalidParameter["status"] })],
    [InvalidRequest.statuses, (s) => new InvalidRequest({ status: s as InvalidRequest["status"] })],
    [
      InsufficientResources.statuses,
      (s) => new InsufficientResources({ status: s as InsufficientResources["status"] })
    ],
    [AccessViolation.statuses, (s) => new AccessViolation({ status: s as AccessViolation["status"] })],
    [BufferTooSmall.statuses, (s) => new BufferTooSmall({ status: s as BufferTooSmall["status"] })],
    [Overflow.statuses, (s) => new Overflow({ status: s as Overflow["status"] })],
    [AddressInUse.statuses, (s) => new AddressInUse({ status: s as AddressInUse["status"] })],
    [InvalidAddress.statuses, (s) => new InvalidAddress({ status: s as InvalidAddress["status"] })],
    [AddressesExhausted.statuses, (s) => new AddressesExhausted({ status: s as AddressesExhausted["status"] })],
    [ConnectionRefused.statuses, (s) => new ConnectionRefused({ status: s as ConnectionRefused["status"] })],
    [ConnectionReset.statuses, (s) => new ConnectionReset({ status: s as ConnectionReset["status"] })],
    [ConnectionAborted.statuses, (s) => new ConnectionAborted({ status: s as ConnectionAborted["status"] })],
    [Unreachable.statuses, (s) => new Unreachable({ status: s as Unreachable["status"] })],
    [ConnectionInvalid.statuses, (s) => new ConnectionInvalid({ status: s as ConnectionInvalid["status"] })],
    [Timeout.statuses, (s) => new Timeout({ status: s as Timeout["status"] })],
    [Cancelled.statuses, (s) => new Cancelled({ status: s as Cancelled["status"] })],
    [DeviceBusy.statuses, (s) => new DeviceBusy({ status: s as DeviceBusy["status"] })],
    [InvalidState.statuses, (s) => new InvalidState({ status: s as InvalidState["status"] })],
    [NotSupported.statuses, (s) => new NotSupported({ status: s as NotSupported["status"] })],
    [DeviceFailure.statuses, (s) => new DeviceFailure({ status: s as DeviceFailure["status"] })],
    [RemoteError.statuses, (s) => new RemoteError({ status: s as RemoteError["status"] })],
    [DeviceRemoved.statuses, (s) => new DeviceRemoved({ status: s as DeviceRemoved["status"] })],
    [BadVersion.statuses, (s) => new BadVersion({ status: s as BadVersion["status"] })],
    [AdapterNotReady.statuses, (s) => new AdapterNotReady({ status: s as AdapterNotReady["status"] })]
  ] as ReadonlyArray<readonly [ReadonlyArray<NTSTATUS>, (status: NTSTATUS) => NdkError]>).flatMap(([statuses, make]) =>
    statuses.map((status) => [status, make] as const)
  )
)

/**
 * The error for any status (total). Known failing codes map to their class; anything else to {@link StatusError}.
 * The status is stored unsigned.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromStatus = (status: NTSTATUS): NdkError => {
  const unsigned = status >>> 0
  const make = constructors.get(unsigned)
  return make === undefined ? new StatusError({ status: unsigned }) : make(unsigned)
}

/**
 * The error for a failing status (`!NT_SUCCESS`), or `None` for success and informational codes (including
 * `STATUS_PENDING`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromFailure = (status: NTSTATUS): Option.Option<NdkError> =>
  isSuccess(status) ? Option.none() : Option.some(fromStatus(status))

/**
 * The status an error stands for.
 *
 * @since 0.1.0
 * @category getters
 */
export const toStatus = (error: NdkError): NTSTATUS => error.status

const tags: ReadonlySet<string> = new Set([
  "InvalidParameter",
  "InvalidRequest",
  "InsufficientResources",
  "AccessViolation",
  "BufferTooSmall",
  "Overflow",
  "AddressInUse",
  "InvalidAddress",
  "AddressesExhausted",
  "ConnectionRefused",
  "ConnectionReset",
  "ConnectionAborted",
  "Unreachable",
  "ConnectionInvalid",
  "Timeout",
  "Cancelled",
  "DeviceBusy",
  "InvalidState",
  "NotSupported",
  "DeviceFailure",
  "RemoteError",
  "DeviceRemoved",
  "BadVersion",
  "AdapterNotReady",
  "StatusError"
])

/**
 * True for any {@link NdkError}.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isNdkError = (u: unknown): u is NdkError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag) &&
  Predicate.hasProperty(u, "status") && typeof u.status === "number"

/**
 * The connect failures after which the same connector may try `NdkConnect` again (SPEC.md §6.10, R156).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryableConnectFailure = (status: NTSTATUS): boolean => {
  const s = status >>> 0
  return s === NtStatus.STATUS_NETWORK_UNREACHABLE || s === NtStatus.STATUS_HOST_UNREACHABLE ||
    s === NtStatus.STATUS_CONNECTION_REFUSED || s === NtStatus.STATUS_IO_TIMEOUT
}
