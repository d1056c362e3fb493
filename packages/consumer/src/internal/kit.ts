/**
 * What the modules beside `ndk.ts` need from one `Ndk` instance (its counters and its once-only closers), and the
 * small pieces every object or connection shares: extension interfaces, socket-address getters, connection data,
 * the connector's close.
 */
import { SOCKADDR_IN6_SIZE } from "@effect-ndk/ndkpi/Constants"
import type { Guid, NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import type * as NdkError from "@effect-ndk/ndkpi/NdkError"
import type { NdkVersion } from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { InOut, Out } from "@effect-ndk/ndkpi/OutParam"
import type { NdkCloseCompletion, NdkConnector, NdkObject } from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import type { Stats } from "./core.js"
import { toError } from "./core.js"

const S = NtStatus
type E = NdkError.NdkError

/** One `Ndk` instance's shared machinery. */
export interface Kit {
  readonly stats: Stats
  /** one close per object, whoever asks first (scope release or an explicit early close), keyed by the raw object */
  readonly closeOnce: (
    key: object,
    type: number,
    close: (completion: NdkCloseCompletion, context: unknown) => Effect.Effect<number>,
    after?: Effect.Effect<void>
  ) => Effect.Effect<void>
}

/** A synchronous call's status as success or its typed error. */
export const check = (status: number): Effect.Effect<void, E> =>
  status === S.STATUS_SUCCESS ? Effect.void : Effect.fail(toError(status))

/**
 * `NdkQueryExtensionInterface` on any object: the extension's dispatch table, or a typed error (`NotSupported`
 * when the provider does not know the interface or version).
 */
export const queryExtension = (
  object: NdkObject,
  id: Guid,
  version: NdkVersion
): Effect.Effect<NdkExtensionInterface, E> =>
  Effect.suspend(() => {
    const out = OutParam.out<NdkExtensionInterface>()
    return Effect.flatMap(object.Dispatch.NdkQueryExtension(object, id, version, out), (st) =>
      st === S.STATUS_SUCCESS && out.value !== undefined
        ? Effect.succeed(out.value)
        : Effect.fail(toError(st === S.STATUS_SUCCESS ? S.STATUS_UNSUCCESSFUL : st)))
  })

/**
 * The address-getter protocol of SPEC §6.9 (listener, shared endpoint, connector local/peer): asks with room for
 * the largest socket address, and once more with the size the provider asks for if that was too small.
 */
export const getAddress = (
  get: (address: Out<SockAddr>, length: InOut<number>) => Effect.Effect<number>
): Effect.Effect<SockAddr, E> =>
  Effect.gen(function*() {
    let out = OutParam.out<SockAddr>()
    let len = OutParam.inOut(SOCKADDR_IN6_SIZE)
    let st = yield* get(out, len)
    if (st === S.STATUS_BUFFER_TOO_SMALL) {
      out = OutParam.out<SockAddr>()
      len = OutParam.inOut(len.value)
      st = yield* get(out, len)
    }
    if (st !== S.STATUS_SUCCESS) return yield* Effect.fail(toError(st))
    if (out.value === undefined) return yield* Effect.fail(toError(S.STATUS_UNSUCCESSFUL))
    return out.value
  })

/** A connector's local address (SPEC §6.9): the port the provider picked when port 0 was asked for. */
export const localAddress = (c: NdkConnector): Effect.Effect<SockAddr, E> =>
  getAddress((out, len) => c.Dispatch.NdkGetLocalAddress(c, out, len))

/** A connector's peer address (SPEC §6.9). */
export const peerAddress = (c: NdkConnector): Effect.Effect<SockAddr, E> =>
  getAddress((out, len) => c.Dispatch.NdkGetPeerAddress(c, out, len))

/** Effective read limits and the peer's private data of a connection (`NdkGetConnectionData`). */
export interface ConnectionData {
  readonly inboundReadLimit: number
  readonly outboundReadLimit: number
  /** the peer's private data, as long as the provider's required size (RDS, SPEC §6.10): zero-padded */
  readonly privateData: Uint8Array
}

/** Room for the private data in the first `NdkGetConnectionData` call (enough for every RDS of the model). */
const PRIVATE_DATA_GUESS = 256

/**
 * `NdkGetConnectionData` with the size protocol of SPEC §6.10, in one call when the data fits a guess: read into
 * {@link PRIVATE_DATA_GUESS} bytes; on `STATUS_BUFFER_TOO_SMALL` (the length now holds RDS) read again into RDS
 * bytes. Either way the private data is RDS bytes long.
 */
export const connectionData = (c: NdkConnector): Effect.Effect<ConnectionData, E> =>
  Effect.gen(function*() {
    const ird = OutParam.out<number>()
    const ord = OutParam.out<number>()
    let buf = new Uint8Array(PRIVATE_DATA_GUESS)
    let len = OutParam.inOut(buf.length)
    let st = yield* c.Dispatch.NdkGetConnectionData(c, ird, ord, buf, len)
    if (st === S.STATUS_BUFFER_TOO_SMALL) {
      buf = new Uint8Array(len.value)
      len = OutParam.inOut(buf.length)
      st = yield* c.Dispatch.NdkGetConnectionData(c, ird, ord, buf, len)
    }
    if (st !== S.STATUS_SUCCESS) return yield* Effect.fail(toError(st))
    return {
      inboundReadLimit: ird.value ?? 0,
      outboundReadLimit: ord.value ?? 0,
      privateData: buf.slice(0, len.value)
    }
  })

/**
 * The close of a connector, once (scope release, an early `close`, a failed connect, a listener's release of the
 * requests nobody took). A connected connector's close aborts the connection: the peer gets its disconnect event,
 * local work requests are flushed; a graceful `disconnect` is the caller's choice, since it completes only once
 * the peer disconnects too (SPEC.md §9.8).
 */
export const closeConnector = (kit: Kit, c: NdkConnector): Effect.Effect<void> =>
  kit.closeOnce(c, NdkObjectType.NdkObjectTypeConnector, (cc, ctx) => c.Dispatch.NdkCloseConnector(c, cc, ctx))
