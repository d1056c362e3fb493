/**
 * The connection side beyond `adapter.connect` / `adapter.listen`: standalone connectors (connect and
 * complete-connect as separate steps, the 2.1 `Ex` forms, an active-side reject), shared endpoints (one local
 * address, many connectors), and the listener / request / connection queries (local and peer addresses, pausing
 * connect events, `AcceptEx`).
 */
import * as NdkError from "@effect-ndk/ndkpi/NdkError"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { NdkAdapter, NdkConnector, NdkSharedEndpoint } from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import { byteLength } from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { acquireRelease, addFinalizer, create, Latch, request } from "./core.js"
import type { ConnectionData, Kit } from "./kit.js"
import { check, closeConnector, connectionData, getAddress, localAddress, peerAddress } from "./kit.js"
import type { Connection, ConnectionRequest, ConnectOptions, Listener, QueuePair } from "./ndk.js"

const S = NtStatus
const T = NdkObjectType
type E = NdkError.NdkError

// ---------------------------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------------------------

/**
 * A connector created by the consumer (`NdkCreateConnector`): the active side step by step (SPEC §9.2). Closed with
 * its scope (a connected connector's close aborts the connection), or early with `close`.
 */
export interface Connector {
  readonly raw: NdkConnector
  /**
   * `NdkConnect`: resolves once the peer accepted (the connector is then *Replied*) with the effective read limits
   * and the peer's private data. The connector's close is (also) registered in the scope of this call, so it runs
   * before the release of a QP created after the connector (a QP bound to an open connector cannot close, R25).
   */
  readonly connect: (
    qp: QueuePair,
    source: SockAddr,
    destination: SockAddr,
    options?: ConnectOptions
  ) => Effect.Effect<ConnectionData, E, Scope.Scope>
  /** `NdkConnectWithSharedEndpoint`: as `connect`, the local address being the shared endpoint's */
  readonly connectWithSharedEndpoint: (
    endpoint: SharedEndpoint,
    qp: QueuePair,
    destination: SockAddr,
    options?: ConnectOptions
  ) => Effect.Effect<ConnectionData, E, Scope.Scope>
  /** `NdkGetConnectionData`: effective read limits and the peer's private data (after the reply, or a reject) */
  readonly connectionData: Effect.Effect<ConnectionData, E>
  /** `NdkGetLocalAddress`: the local address (the ephemeral port picked for port 0) */
  readonly localAddress: Effect.Effect<SockAddr, E>
  /** `NdkGetPeerAddress` */
  readonly peerAddress: Effect.Effect<SockAddr, E>
  /** `NdkCompleteConnect`: establishes the connection after a successful `connect` */
  readonly completeConnect: Effect.Effect<Connection, E>
  /** `NdkCompleteConnectEx` [2.1]: as `completeConnect`; the disconnect event carries the provider's reason */
  readonly completeConnectEx: Effect.Effect<Connection, E>
  /** `NdkReject` on the active side: refuses a replied connection (the peer's accept fails) */
  readonly reject: (privateData?: Uint8Array) => Effect.Effect<void, E>
  readonly close: Effect.Effect<void>
}

/**
 * A shared endpoint (`NdkCreateSharedEndpoint`): one local address for many outgoing connections to different
 * destinations. Its close waits for every connector connected through it (SPEC §8.9).
 */
export interface SharedEndpoint {
  readonly raw: NdkSharedEndpoint
  /** `NdkGetLocalAddress` of the shared endpoint (the ephemeral port picked for port 0) */
  readonly localAddress: Effect.Effect<SockAddr, E>
  /** a new connector, `NdkConnectWithSharedEndpoint`, then `NdkCompleteConnect`: the whole active side at once */
  readonly connect: (
    qp: QueuePair,
    destination: SockAddr,
    options?: ConnectOptions & { readonly ex?: boolean }
  ) => Effect.Effect<Connection, E, Scope.Scope>
  readonly close: Effect.Effect<void>
}

/** The fields of a listener `ndk.ts` builds itself; this module adds the rest. */
export type BaseListener = Omit<Listener, "localAddress" | "pause" | "resume">

// ---------------------------------------------------------------------------------------------------------------
// the connection calls
// ---------------------------------------------------------------------------------------------------------------

/** The read limits and private data of a connect or an accept, as the dispatch functions take them. */
export const readLimits = (
  options: ConnectOptions
): readonly [inbound: number, outbound: number, privateData: Uint8Array | null, length: number] => {
  const pdata = options.privateData ?? null
  return [options.inboundReadLimit ?? 0, options.outboundReadLimit ?? 0, pdata, pdata?.length ?? 0]
}

/** `NdkConnect`: completes once the peer accepted (or rejected) the connection. */
export const connectRequest = (
  c: NdkConnector,
  qp: QueuePair,
  source: SockAddr,
  destination: SockAddr,
  options: ConnectOptions
): Effect.Effect<void, E> =>
  request((rc, ctx) =>
    c.Dispatch.NdkConnect(
      c,
      qp.raw,
      source,
      byteLength(source),
      destination,
      byteLength(destination),
      ...readLimits(options),
      rc,
      ctx
    )
  )

/** `NdkReject` (either side) with optional private data. */
export const reject = (c: NdkConnector, privateData?: Uint8Array): Effect.Effect<void, E> =>
  Effect.flatMap(c.Dispatch.NdkReject(c, privateData ?? null, privateData?.length ?? 0), check)

// ---------------------------------------------------------------------------------------------------------------
// decorations of what ndk.ts builds
// ---------------------------------------------------------------------------------------------------------------

/** A listener with `NdkGetLocalAddress` and `NdkControlConnectEvents` (its requests: {@link connectionRequest}). */
export const listener = (base: BaseListener): Listener => {
  const raw = base.raw
  return {
    ...base,
    localAddress: getAddress((out, len) => raw.Dispatch.NdkGetLocalAddress(raw, out, len)),
    pause: raw.Dispatch.NdkControlConnectEvents(raw, true),
    resume: raw.Dispatch.NdkControlConnectEvents(raw, false)
  }
}

/** An incoming request (its connector and connection data) with its addresses, accept, acceptEx and reject. */
export const connectionRequest = (kit: Kit, connector: NdkConnector, data: ConnectionData): ConnectionRequest => {
  const accept = (ex: boolean) => (qp: QueuePair, options: ConnectOptions = {}) => {
    const state = new Disconnect()
    const closeIt = closeConnector(kit, connector)
    return Effect.zipRight(
      addFinalizer(closeIt),
      Effect.as(
        request((rc, ctx) =>
          ex
            ? connector.Dispatch.NdkAcceptEx(
              connector,
              qp.raw,
              ...readLimits(options),
              disconnectEventEx,
              state,
              rc,
              ctx
            )
            : connector.Dispatch.NdkAccept(connector, qp.raw, ...readLimits(options), disconnectEvent, state, rc, ctx)
        ),
        makeConnection(qp, connector, data, state, closeIt)
      )
    )
  }
  return {
    connector,
    ...data,
    localAddress: localAddress(connector),
    peerAddress: peerAddress(connector),
    accept: accept(false),
    acceptEx: accept(true),
    reject: (privateData) => reject(connector, privateData)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// connections made here
// ---------------------------------------------------------------------------------------------------------------

/**
 * The disconnect-event state of one connection (its `DisconnectEventContext`): a wait cell (no Deferred) opened by
 * the disconnect event, with the provider's reason (0 for a 1.x event).
 */
export class Disconnect {
  requested = false
  reason = 0
  readonly latch = new Latch()
}
/** The 1.x disconnect event (`NdkCompleteConnect`, `NdkAccept`). */
export const disconnectEvent = (ctx: unknown) => disconnectEventEx(ctx, 0)
/** The 2.1 disconnect event (`NdkCompleteConnectEx`, `NdkAcceptEx`): the first reason stands. */
export const disconnectEventEx = (ctx: unknown, reason: number) =>
  Effect.sync(() => {
    const d = ctx as Disconnect
    if (d.latch.done) return
    d.reason = reason >>> 0
    d.latch.open()
  })

/** A connection over a connector whose connect or accept completed; `closeIt` closes the connector (once). */
export const makeConnection = (
  qp: QueuePair,
  connector: NdkConnector,
  data: ConnectionData,
  state: Disconnect,
  closeIt: Effect.Effect<void>
): Connection => ({
  qp,
  connector,
  ...data,
  disconnected: state.latch.await,
  isDisconnected: () => state.latch.done,
  disconnect: Effect.suspend(() => {
    if (state.requested || state.latch.done) return Effect.void
    state.requested = true
    return request((rc, ctx) => connector.Dispatch.NdkDisconnect(connector, rc, ctx))
  }),
  close: closeIt,
  localAddress: localAddress(connector),
  peerAddress: peerAddress(connector),
  disconnectReason: Effect.map(state.latch.await, () => state.reason)
})

const createConnectorRaw = (kit: Kit, adapter: NdkAdapter): Effect.Effect<NdkConnector, E, Scope.Scope> =>
  acquireRelease(
    create<NdkConnector>(
      kit.stats,
      T.NdkObjectTypeConnector,
      (cc, ctx, out) => adapter.Dispatch.NdkCreateConnector(adapter, cc, ctx, out)
    ),
    (c) => closeConnector(kit, c)
  )

const connectorOf = (kit: Kit, raw: NdkConnector): Connector => {
  const closeIt = closeConnector(kit, raw)
  // the QP bound by the last successful connect, and the data read right after its reply
  let bound: { readonly qp: QueuePair; readonly data: ConnectionData } | undefined
  const replied = (qp: QueuePair, start: Effect.Effect<void, E>) =>
    Effect.gen(function*() {
      yield* addFinalizer(closeIt)
      yield* start
      const data = yield* connectionData(raw)
      bound = { qp, data }
      return data
    })
  const complete = (ex: boolean): Effect.Effect<Connection, E> =>
    Effect.suspend(() => {
      const b = bound
      if (b === undefined) return Effect.fail(new NdkError.ConnectionInvalid({ status: S.STATUS_CONNECTION_INVALID }))
      const state = new Disconnect()
      return Effect.as(
        request((rc, ctx) =>
          ex
            ? raw.Dispatch.NdkCompleteConnectEx(raw, disconnectEventEx, state, rc, ctx)
            : raw.Dispatch.NdkCompleteConnect(raw, disconnectEvent, state, rc, ctx)
        ),
        makeConnection(b.qp, raw, b.data, state, closeIt)
      )
    })
  return {
    raw,
    connect: (qp, source, destination, options = {}) =>
      replied(qp, connectRequest(raw, qp, source, destination, options)),
    connectWithSharedEndpoint: (endpoint, qp, destination, options = {}) =>
      replied(
        qp,
        request((rc, ctx) =>
          raw.Dispatch.NdkConnectWithSharedEndpoint(
            raw,
            qp.raw,
            endpoint.raw,
            destination,
            byteLength(destination),
            ...readLimits(options),
            rc,
            ctx
          )
        )
      ),
    connectionData: connectionData(raw),
    localAddress: localAddress(raw),
    peerAddress: peerAddress(raw),
    completeConnect: complete(false),
    completeConnectEx: complete(true),
    reject: (privateData) => reject(raw, privateData),
    close: closeIt
  }
}

/** `adapter.createConnector`. */
export const createConnector = (kit: Kit, adapter: NdkAdapter): Effect.Effect<Connector, E, Scope.Scope> =>
  Effect.map(createConnectorRaw(kit, adapter), (raw) => connectorOf(kit, raw))

/**
 * `adapter.connect` (and a shared endpoint's `connect`): a new connector, its connect, then its complete-connect
 * (the `Ex` form with `ex`) — the whole active side at once; the connector closes at once if a step fails.
 */
export const connect = (
  kit: Kit,
  adapter: NdkAdapter,
  start: (c: Connector) => Effect.Effect<ConnectionData, E, Scope.Scope>,
  ex: boolean
): Effect.Effect<Connection, E, Scope.Scope> =>
  Effect.flatMap(
    createConnector(kit, adapter),
    (c) =>
      Effect.zipRight(start(c), ex ? c.completeConnectEx : c.completeConnect).pipe(
        Effect.tapError(() => c.close)
      )
  )

/** `adapter.createSharedEndpoint`. */
export const createSharedEndpoint = (
  kit: Kit,
  adapter: NdkAdapter,
  address: SockAddr
): Effect.Effect<SharedEndpoint, E, Scope.Scope> =>
  Effect.map(
    acquireRelease(
      create<NdkSharedEndpoint>(
        kit.stats,
        T.NdkObjectTypeSharedEndpoint,
        (cc, ctx, out) => adapter.Dispatch.NdkCreateSharedEndpoint(adapter, address, byteLength(address), cc, ctx, out)
      ),
      (sep) => closeSharedEndpoint(kit, sep)
    ),
    (raw): SharedEndpoint => {
      const endpoint: SharedEndpoint = {
        raw,
        localAddress: getAddress((out, len) => raw.Dispatch.NdkGetLocalAddress(raw, out, len)),
        connect: (qp, destination, options = {}) =>
          connect(
            kit,
            adapter,
            (c) => c.connectWithSharedEndpoint(endpoint, qp, destination, options),
            options.ex === true
          ),
        close: closeSharedEndpoint(kit, raw)
      }
      return endpoint
    }
  )

const closeSharedEndpoint = (kit: Kit, sep: NdkSharedEndpoint) =>
  kit.closeOnce(sep, T.NdkObjectTypeSharedEndpoint, (cc, ctx) => sep.Dispatch.NdkCloseSharedEndpoint(sep, cc, ctx))
