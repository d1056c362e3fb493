/**
 * The connector (SPEC.md §6.10, §9): active side (NdkConnect, NdkConnectWithSharedEndpoint,
 * NdkCompleteConnect(Ex), reject after reply), passive side (connectors delivered by a listener: NdkAccept(Ex),
 * NdkReject), NdkGetConnectionData with the RDS protocol and the IRD/ORD negotiation of §9.6, address getters,
 * NdkDisconnect with the NetworkDirect disconnect scheme (§9.8), disconnect events (and the 2.1 Ex variant),
 * and close in every state (§8.7, §8.11).
 *
 * Connection establishment, rejection and teardown run over the host's connection manager (cm.ts). Requests
 * that wait for the network (connect, accept, disconnect) always pend; their completions are delivered on
 * provider fibers through the lifetime kernel (exactly once, never inside the close call).
 *
 * @internal
 */
import { Lifetime } from "@effect-ndk/lifetime"
import { NdkAdapterFlag } from "@effect-ndk/ndkpi/AdapterFlag"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { InOut, Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  NdkConnector,
  NdkConnectorDispatch,
  NdkCreateCompletion,
  NdkDisconnectEventCallback,
  NdkDisconnectEventCallbackEx,
  NdkRequestCompletion
} from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import * as SockAddrOps from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import type { AdapterImpl } from "./adapter.js"
import type { HostCm, Message, Timer } from "./cm.js"
import { managerOf, Msg, Reason } from "./cm.js"
import type { Endpoint } from "./endpoints.js"
import { canonicalIp, nicAddressOf } from "./endpoints.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import {
  asCallback,
  BAD_HANDLE,
  BAD_STATE,
  close,
  create,
  lookup,
  makeObject,
  queryExtension,
  register,
  request,
  validate
} from "./object.js"
import { qpSeam } from "./qp.js"
import type { QpSeam } from "./seam.js"
import type { SharedEndpointImpl } from "./sharedEndpoint.js"
import { SEP } from "./sharedEndpoint.js"

const S = NtStatus
/** `NDK_OBJECT_TYPE` of a connector. */
export const CONNECTOR = NdkObjectType.NdkObjectTypeConnector

/** Connector states (SPEC.md §9.1). */
export const St = {
  IDLE: 0,
  CONNECTING: 1,
  REPLIED: 2,
  INCOMING: 3,
  ACCEPTING: 4,
  CONNECTED: 5,
  PEER_DISCONNECTED: 6,
  DISCONNECTING: 7,
  DISCONNECTED: 8,
  REJECTED: 9,
  FAILED: 10,
  CLOSED: 11,
  /** passive: RTU received, the QP is being moved to connected */
  COMPLETING: 12
} as const
type St = typeof St[keyof typeof St]

/** `ProviderDisconnectReason` values of the 2.1 disconnect event (0 = no reason: graceful). */
export const DisconnectReason = { GRACEFUL: 0, PEER_ABORTED: 1 } as const

interface PendingRequest {
  readonly completion: NdkRequestCompletion
  readonly context: unknown
}

interface DisconnectHandler {
  readonly callback: NdkDisconnectEventCallback | NdkDisconnectEventCallbackEx | null
  readonly context: unknown
  readonly ex: boolean
}

/** Provider record of a connector. */
export class ConnectorImpl implements ObjectImpl {
  readonly type = CONNECTOR
  readonly ops = new Set<PendingOp>()
  object!: NdkConnector
  state: St = St.IDLE
  /** connection id at this host (0 = none) */
  connId = 0
  /** fabric address and connection id of the peer */
  remote = 0
  remoteConn = 0
  remoteQpn = 0
  local: SockAddr | undefined = undefined
  peer: SockAddr | undefined = undefined
  endpoint: Endpoint | undefined = undefined
  tuple: string | undefined = undefined
  qp: QpSeam | undefined = undefined
  sep: SharedEndpointImpl | undefined = undefined
  /** the listener that delivered this connector (passive side) */
  listener: { incoming: number } | undefined = undefined
  /** this side's capped offer */
  myIrd = 0
  myOrd = 0
  /** effective limits (SPEC.md §9.6) */
  inbound = 0
  outbound = 0
  /** the peer's private data (connect / accept / reject) and the RDS for this connection */
  peerData: Uint8Array | undefined = undefined
  rds = 0
  pending: PendingRequest | undefined = undefined
  disconnect: DisconnectHandler | undefined = undefined
  eventRaised = false
  /** passive: the active side abandoned before accept; active: the passive side abandoned after reply */
  abandoned = false
  /** status of a FAILED establishment, returned by a later CompleteConnect / Accept / Reject */
  failStatus = 0
  peerDreq = false
  ownDreqDone = false
  peerAborted = false
  /**
   * passive: the peer disconnected (1 gracefully, 2 by abort) before this side's accept completed; the disconnect
   * event follows the accept completion
   */
  peerEndedEarly = 0
  retransmit: Timer | undefined = undefined
  deadline: Timer | undefined = undefined
  /** private data of the reply being retransmitted (passive REP) */
  replyData: Uint8Array = new Uint8Array(0)
  constructor(
    readonly adapter: AdapterImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly cm: HostCm
  ) {}
}

/** The connection manager of an adapter's host. */
export const cmOf = (a: AdapterImpl): HostCm => managerOf(a.core, a.core.nic, a.core.fork, a.core.clock)

const loopbackSupported = (a: AdapterImpl): boolean =>
  (a.info.AdapterFlags & NdkAdapterFlag.NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED) !== 0

// ---------------------------------------------------------------------------------------------------------------
// helpers

const stopTimers = (c: ConnectorImpl): void => {
  c.retransmit?.cancel()
  c.retransmit = undefined
  c.deadline?.cancel()
  c.deadline = undefined
}

/** Delivers the pending request's completion on a provider fiber (never inline in the caller). */
const finish = (c: ConnectorImpl, status: number): void => {
  const p = c.pending
  if (p === undefined) return
  c.pending = undefined
  const k = c.adapter.kernel
  c.cm.fork(Lifetime.complete(k, c.rec, Effect.suspend(() => p.completion(p.context, status))))
}

const beginPending = (c: ConnectorImpl, completion: NdkRequestCompletion, context: unknown): number => {
  const s = Lifetime.unsafeBeginRequest(c.adapter.kernel, c.rec)
  if (s === S.STATUS_SUCCESS) c.pending = { completion, context }
  return s
}

const freeConn = (c: ConnectorImpl): void => {
  if (c.connId !== 0) {
    c.cm.freeConn(c.connId)
    if (c.listener !== undefined) c.cm.retire(`${c.remote}|${c.remoteConn}`, c.connId)
    c.connId = 0
  }
}

const removeEdge = (c: ConnectorImpl, ante: Lifetime.LifetimeObject): void => {
  const k = c.adapter.kernel
  if (Lifetime.unsafeRemoveDependency(k, ante, c.rec)) c.cm.fork(Lifetime.settle(k, ante))
}

/** Releases what an establishment attempt bound (retryable failure: the connector is Idle again, R156). */
const unbind = (c: ConnectorImpl): void => {
  stopTimers(c)
  freeConn(c)
  c.cm.registry.releaseTuple(c.tuple)
  c.tuple = undefined
  if (c.endpoint !== undefined) c.cm.registry.release(c.endpoint)
  c.endpoint = undefined
  if (c.sep !== undefined) removeEdge(c, c.sep.rec)
  c.sep = undefined
  if (c.qp !== undefined) {
    c.qp.abortConnect()
    removeEdge(c, c.qp.rec)
  }
  c.qp = undefined
  c.local = undefined
}

/** The connection ended: the QP is flushed and disconnected, the connector cannot be reused. */
const endConnection = (c: ConnectorImpl, state: St): void => {
  stopTimers(c)
  c.state = state
  const qp = c.qp
  if (qp !== undefined) {
    qp.toError()
    qp.markDisconnected()
  }
}

const raiseDisconnectEvent = (c: ConnectorImpl, reason: number): void => {
  if (c.eventRaised) return
  c.eventRaised = true
  const d = c.disconnect
  if (d === undefined || typeof d.callback !== "function") return
  const cb = d.callback
  const run = d.ex
    ? Effect.suspend(() => (cb as NdkDisconnectEventCallbackEx)(d.context, reason))
    : Effect.suspend(() => (cb as NdkDisconnectEventCallback)(d.context))
  c.cm.fork(Effect.asVoid(Lifetime.notify(c.adapter.kernel, c.rec, run)))
}

const leaveIncoming = (c: ConnectorImpl): void => {
  if (c.state === St.INCOMING && c.listener !== undefined) c.listener.incoming--
}

const sendTo = (c: ConnectorImpl, type: number, extra?: Partial<Message>): void => {
  c.cm.send(c.remote, { ...extra, type, srcConn: c.connId, dstConn: c.remoteConn })
}

// ---------------------------------------------------------------------------------------------------------------
// the protocol, per connector

const onMessage = (c: ConnectorImpl, m: Message): void => {
  switch (m.type) {
    case Msg.MRA:
      if (c.state === St.CONNECTING && c.remoteConn === 0) {
        c.remoteConn = m.srcConn
        // the request reached a listener: from now on only the connect timeout applies
        c.retransmit?.cancel()
        c.retransmit = undefined
        c.deadline?.cancel()
        c.deadline = c.cm.timer(c.cm.config.connectTimeoutMs, () => {
          if (c.state !== St.CONNECTING) return
          sendTo(c, Msg.REJ, { reason: Reason.TIMEOUT })
          failConnect(c, S.STATUS_IO_TIMEOUT)
        })
      }
      return
    case Msg.REP:
      return onReply(c, m)
    case Msg.RTU:
      onReadyToUse(c)
      return
    case Msg.REQ:
      // a retransmitted request for a connection this host already knows
      if (c.state === St.INCOMING) sendTo(c, Msg.MRA)
      else if (c.state === St.REJECTED || c.state === St.FAILED) {
        sendTo(c, Msg.REJ, { reason: c.state === St.REJECTED ? Reason.CONSUMER_REJECT : Reason.ABANDONED })
      }
      return
    case Msg.REJ:
      return onReject(c, m)
    case Msg.DREQ:
    case Msg.ABORT:
      return onDisconnectRequest(c, m)
    case Msg.DREP:
      if (c.state === St.DISCONNECTING && !c.ownDreqDone) {
        c.ownDreqDone = true
        c.retransmit?.cancel()
        c.retransmit = undefined
        checkDisconnected(c)
      }
      return
    default:
      return
  }
}

const onReply = (c: ConnectorImpl, m: Message): void => {
  if (c.state === St.CONNECTED || c.state === St.PEER_DISCONNECTED) {
    // our RTU was lost: the passive side retransmits its reply
    sendTo(c, Msg.RTU)
    return
  }
  if (c.state === St.REJECTED || (c.state === St.FAILED && c.remoteConn === m.srcConn)) {
    // our reject / abandonment was lost: the passive side still retransmits its reply
    const reason = c.state === St.REJECTED ? Reason.CONSUMER_REJECT : Reason.ABANDONED
    c.cm.send(c.remote, { type: Msg.REJ, srcConn: c.connId, dstConn: m.srcConn, reason })
    return
  }
  if (c.state !== St.CONNECTING) return
  stopTimers(c)
  c.remoteConn = m.srcConn
  c.remoteQpn = m.qpn
  // m.ird / m.ord: the passive side's capped IRD' / ORD' (SPEC.md §9.6)
  c.inbound = Math.min(c.myIrd, m.ord)
  c.outbound = Math.min(c.myOrd, m.ird)
  c.peerData = m.data
  c.rds = c.adapter.info.MaxCalleeData
  c.state = St.REPLIED
  c.deadline = c.cm.timer(c.cm.config.completeTimeoutMs, () => {
    if (c.state !== St.REPLIED) return
    sendTo(c, Msg.REJ, { reason: Reason.TIMEOUT })
    c.state = St.FAILED
    c.failStatus = S.STATUS_IO_TIMEOUT
  })
  finish(c, S.STATUS_SUCCESS)
}

const failConnect = (c: ConnectorImpl, status: number): void => {
  unbind(c)
  c.state = St.IDLE
  c.remoteConn = 0
  finish(c, status)
}

const onReject = (c: ConnectorImpl, m: Message): void => {
  switch (c.state) {
    case St.CONNECTING:
      c.peerData = m.data
      c.rds = c.adapter.info.MaxCalleeData
      failConnect(c, S.STATUS_CONNECTION_REFUSED)
      return
    case St.REPLIED:
      stopTimers(c)
      c.state = St.FAILED
      c.failStatus = S.STATUS_CONNECTION_ABORTED
      c.abandoned = true
      return
    case St.INCOMING:
      c.abandoned = true
      return
    case St.ACCEPTING:
    case St.COMPLETING: {
      const status = m.reason === Reason.CONSUMER_REJECT && c.cm.config.activeRejectRefused
        ? S.STATUS_CONNECTION_REFUSED
        : m.reason === Reason.TIMEOUT
        ? S.STATUS_IO_TIMEOUT
        : S.STATUS_CONNECTION_ABORTED
      endConnection(c, St.FAILED)
      c.failStatus = status
      finish(c, status)
      return
    }
    case St.CONNECTED:
      // the peer no longer knows this connection (it timed out or aborted): an abort
      endPeer(c, true)
      return
    default:
      return
  }
}

/** The peer disconnected (gracefully or by abort) while this side had not started a disconnect. */
const endPeer = (c: ConnectorImpl, aborted: boolean): void => {
  c.state = St.PEER_DISCONNECTED
  c.peerAborted = aborted
  c.qp?.markDisconnected()
  raiseDisconnectEvent(c, aborted ? DisconnectReason.PEER_ABORTED : DisconnectReason.GRACEFUL)
}

const onDisconnectRequest = (c: ConnectorImpl, m: Message): void => {
  c.cm.send(c.remote, { type: Msg.DREP, srcConn: c.connId, dstConn: m.srcConn })
  const aborted = m.type === Msg.ABORT
  switch (c.state) {
    case St.CONNECTED:
      endPeer(c, aborted)
      return
    case St.DISCONNECTING:
      if (aborted) {
        endConnection(c, St.DISCONNECTED)
        finish(c, S.STATUS_CONNECTION_RESET)
        return
      }
      c.peerDreq = true
      checkDisconnected(c)
      return
    case St.PEER_DISCONNECTED:
      if (aborted) c.peerAborted = true
      return
    case St.ACCEPTING:
      // the peer only disconnects once connected: its RTU was sent (lost or still on the way), so it counts
      if (onReadyToUse(c)) c.peerEndedEarly = aborted ? 2 : 1
      return
    case St.COMPLETING:
      // the accept is completing (the QP is being connected): the disconnect event follows its completion
      c.peerEndedEarly = aborted ? 2 : 1
      return
    default:
      return
  }
}

/** The NIC is gone: pending requests fail with STATUS_DEVICE_REMOVED; a live connection is over. */
const onRemoved = (c: ConnectorImpl): void => {
  switch (c.state) {
    case St.CONNECTING:
      failConnect(c, S.STATUS_DEVICE_REMOVED)
      return
    case St.ACCEPTING:
    case St.COMPLETING:
    case St.DISCONNECTING:
      endConnection(c, St.FAILED)
      finish(c, S.STATUS_DEVICE_REMOVED)
      return
    case St.REPLIED:
      stopTimers(c)
      c.state = St.FAILED
      c.failStatus = S.STATUS_DEVICE_REMOVED
      return
    case St.CONNECTED:
      stopTimers(c)
      endPeer(c, true)
      return
    default:
      stopTimers(c)
      return
  }
}

const handler = (c: ConnectorImpl) => ({ onMessage: (m: Message) => onMessage(c, m), onRemoved: () => onRemoved(c) })

const checkDisconnected = (c: ConnectorImpl): void => {
  if (c.state !== St.DISCONNECTING || !c.peerDreq || !c.ownDreqDone) return
  endConnection(c, St.DISCONNECTED)
  finish(c, S.STATUS_SUCCESS)
}

// ---------------------------------------------------------------------------------------------------------------
// validation helpers

const isSockAddr = (a: unknown): a is SockAddr =>
  typeof a === "object" && a !== null && ((a as SockAddr).family === 2 || (a as SockAddr).family === 23) &&
  typeof (a as SockAddr).address === "string" && Number.isInteger((a as SockAddr).port) &&
  (a as SockAddr).port >= 0 && (a as SockAddr).port <= 65535

/** `STATUS_SUCCESS` when the address and its length are acceptable. */
export const checkAddress = (a: unknown, length: unknown): number => {
  if (!isSockAddr(a)) return S.STATUS_INVALID_PARAMETER
  if (typeof length !== "number" || length < SockAddrOps.byteLength(a)) return S.STATUS_INVALID_PARAMETER
  return S.STATUS_SUCCESS
}

/** Private data check (SPEC.md §9.5): null only with length 0; at most `max` bytes. */
export const checkPrivateData = (data: unknown, length: unknown, max: number): number => {
  if (typeof length !== "number" || !Number.isInteger(length) || length < 0) return S.STATUS_INVALID_PARAMETER
  if (length === 0) return S.STATUS_SUCCESS
  if (!(data instanceof Uint8Array) || data.length < length) return S.STATUS_INVALID_PARAMETER
  if (length > max) return S.STATUS_INVALID_BUFFER_SIZE
  return S.STATUS_SUCCESS
}

const isUlong = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n >= 0

const resolveQp = (c: ConnectorImpl, pNdkQp: unknown): QpSeam | number => {
  const qp = qpSeam(pNdkQp)
  if (qp === undefined) return BAD_HANDLE
  if (qp.adapter !== c.adapter) return S.STATUS_INVALID_PARAMETER
  if (qp.rec.state !== 1) return BAD_STATE
  return qp
}

/** Writes an address through the getter protocol (SPEC.md §6.9, R148). */
export const writeAddress = (
  addr: SockAddr,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<number>
): number => {
  if (typeof pAddressLength !== "object" || pAddressLength === null) return S.STATUS_INVALID_PARAMETER
  const required = SockAddrOps.byteLength(addr)
  if (pAddress === null || typeof pAddress !== "object" || !(pAddressLength.value >= required)) {
    pAddressLength.value = required
    return S.STATUS_BUFFER_TOO_SMALL
  }
  pAddress.value = { family: addr.family, address: addr.address, port: addr.port }
  pAddressLength.value = required
  return S.STATUS_SUCCESS
}

/** The connector behind a handle, or the status (a use after close is recorded as a violation, R31). */
const asConnector = (p: unknown): ConnectorImpl | number => validate<ConnectorImpl>(p, CONNECTOR)

// ---------------------------------------------------------------------------------------------------------------
// connect (active side)

type LocalSpec =
  | { readonly kind: "own"; readonly address: unknown; readonly length: unknown }
  | { readonly kind: "shared"; readonly sep: unknown }

const connect = (
  pNdkConnector: unknown,
  pNdkQp: unknown,
  local: LocalSpec,
  dest: unknown,
  destLength: unknown,
  ird: unknown,
  ord: unknown,
  data: Uint8Array | null,
  dataLength: unknown,
  completion: NdkRequestCompletion,
  context: unknown
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return Effect.succeed(c)
    if (typeof completion !== "function") return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    if (c.cm.isRemoved()) return Effect.succeed(S.STATUS_DEVICE_REMOVED)
    if (c.state !== St.IDLE) return Effect.succeed(BAD_STATE)
    const qp = resolveQp(c, pNdkQp)
    if (typeof qp === "number") return Effect.succeed(qp)
    const ad = checkAddress(dest, destLength)
    if (ad !== S.STATUS_SUCCESS) return Effect.succeed(ad)
    const dst = dest as SockAddr
    if (dst.port === 0) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    if (!isUlong(ird) || !isUlong(ord)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    const info = c.adapter.info
    const pd = checkPrivateData(data, dataLength, info.MaxCallerData)
    if (pd !== S.STATUS_SUCCESS) return Effect.succeed(pd)
    let sep: SharedEndpointImpl | undefined
    if (local.kind === "own") {
      const la = checkAddress(local.address, local.length)
      if (la !== S.STATUS_SUCCESS) return Effect.succeed(la)
      if ((local.address as SockAddr).family !== dst.family) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    } else {
      sep = lookup<SharedEndpointImpl>(local.sep, SEP)
      if (sep === undefined) return Effect.succeed(BAD_HANDLE)
      if (sep.rec.state !== 1 || sep.endpoint === undefined) return Effect.succeed(BAD_STATE)
      if (sep.adapter !== c.adapter) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      if (sep.endpoint.family !== dst.family) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    }
    const remote = nicAddressOf(dst)
    if (remote === undefined) return Effect.succeed(S.STATUS_NETWORK_UNREACHABLE)
    const reg = c.cm.registry
    // local endpoint: a dedicated one for NdkConnect, the shared one otherwise (SPEC.md §8.9)
    let endpoint: Endpoint
    if (sep === undefined) {
      const bound = reg.bind((local as { address: SockAddr }).address, "connector")
      if (typeof bound === "number") return Effect.succeed(bound)
      endpoint = bound
    } else {
      endpoint = sep.endpoint!
    }
    const undoEndpoint = () => {
      if (sep === undefined) reg.release(endpoint)
    }
    const tuple = reg.claimTuple(endpoint.address, dst)
    if (tuple === undefined) {
      undoEndpoint()
      return Effect.succeed(S.STATUS_ADDRESS_ALREADY_EXISTS)
    }
    if (!qp.beginConnect()) {
      reg.releaseTuple(tuple)
      undoEndpoint()
      return Effect.succeed(S.STATUS_CONNECTION_ACTIVE)
    }
    const k = c.adapter.kernel
    const undoAll = () => {
      qp.abortConnect()
      reg.releaseTuple(tuple)
      undoEndpoint()
    }
    if (Lifetime.unsafeAddDependency(k, qp.rec, c.rec) !== S.STATUS_SUCCESS) {
      undoAll()
      return Effect.succeed(BAD_STATE)
    }
    if (sep !== undefined && Lifetime.unsafeAddDependency(k, sep.rec, c.rec) !== S.STATUS_SUCCESS) {
      removeEdge(c, qp.rec)
      undoAll()
      return Effect.succeed(BAD_STATE)
    }
    if (sep !== undefined) reg.retain(endpoint)
    const begun = beginPending(c, completion, context)
    if (begun !== S.STATUS_SUCCESS) {
      c.qp = qp
      c.sep = sep
      c.endpoint = sep === undefined ? endpoint : endpoint
      c.tuple = tuple
      unbind(c)
      return Effect.succeed(begun)
    }
    c.qp = qp
    c.sep = sep
    c.endpoint = endpoint
    c.tuple = tuple
    c.local = endpoint.address
    c.peer = { family: dst.family, address: dst.address, port: dst.port }
    c.remote = remote
    c.remoteConn = 0
    c.peerData = undefined
    c.abandoned = false
    c.myIrd = Math.min(ird, info.MaxInboundReadLimit)
    c.myOrd = Math.min(ord, info.MaxOutboundReadLimit)
    if (remote === c.cm.address && !loopbackSupported(c.adapter)) {
      // loopback without NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED: refused (SPEC.md §9.9), completed
      // from inside the call (SPEC.md §1.2 item 4, R8/R9): nothing is touched after the callback starts
      unbind(c)
      c.state = St.IDLE
      const p = c.pending!
      c.pending = undefined
      return Effect.as(
        Lifetime.complete(k, c.rec, asCallback(() => p.completion(p.context, S.STATUS_CONNECTION_REFUSED))),
        S.STATUS_PENDING
      )
    }
    c.state = St.CONNECTING
    c.connId = c.cm.allocConn(handler(c))
    const payload = dataLength as number > 0 ? data!.slice(0, dataLength as number) : new Uint8Array(0)
    c.retransmit = c.cm.reliable(remote, {
      type: Msg.REQ,
      srcConn: c.connId,
      qpn: qp.qpn,
      ird: c.myIrd,
      ord: c.myOrd,
      family: dst.family,
      srcPort: endpoint.port,
      dstPort: dst.port,
      srcIp: endpoint.ip,
      dstIp: dst.address,
      data: payload
    }, () => {
      // no answer at all: nobody at that address (SPEC.md §9.9)
      if (c.state === St.CONNECTING && c.remoteConn === 0) failConnect(c, S.STATUS_HOST_UNREACHABLE)
    })
    return Effect.succeed(S.STATUS_PENDING)
  })

// ---------------------------------------------------------------------------------------------------------------
// complete connect, accept, reject

const completeConnect = (
  pNdkConnector: unknown,
  ex: boolean,
  callback: NdkDisconnectEventCallback | NdkDisconnectEventCallbackEx | null,
  eventContext: unknown,
  completion: NdkRequestCompletion,
  context: unknown
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return Effect.succeed(c)
    if (ex && !NdkVersion.isAtLeast(c.adapter.version, NdkVersion.V2_1)) return Effect.succeed(S.STATUS_NOT_SUPPORTED)
    if (c.state === St.FAILED && c.qp !== undefined && c.failStatus !== 0) {
      const s = c.failStatus
      c.failStatus = 0
      unbind(c)
      return Effect.succeed(s)
    }
    if (c.state !== St.REPLIED) return Effect.succeed(S.STATUS_CONNECTION_INVALID)
    const work = Effect.suspend(() => {
      if (c.state === St.FAILED && c.failStatus !== 0) {
        const s = c.failStatus
        c.failStatus = 0
        unbind(c)
        return Effect.succeed(s)
      }
      if (c.state !== St.REPLIED || c.qp === undefined) return Effect.succeed(S.STATUS_CONNECTION_INVALID)
      const qp = c.qp
      return Effect.map(
        qp.connectToRemote({ remoteAddress: c.remote, remoteQpn: c.remoteQpn, ird: c.inbound, ord: c.outbound }),
        (s) => {
          if (s !== S.STATUS_SUCCESS) {
            sendTo(c, Msg.REJ, { reason: Reason.ABANDONED })
            endConnection(c, St.FAILED)
            return s
          }
          if (c.state !== St.REPLIED) return S.STATUS_CONNECTION_ABORTED
          stopTimers(c)
          c.disconnect = { callback, context: eventContext, ex }
          c.state = St.CONNECTED
          sendTo(c, Msg.RTU)
          return S.STATUS_SUCCESS
        }
      )
    })
    return request(c, completion, context, work)
  })

const accept = (
  pNdkConnector: unknown,
  ex: boolean,
  pNdkQp: unknown,
  ird: unknown,
  ord: unknown,
  data: Uint8Array | null,
  dataLength: unknown,
  callback: NdkDisconnectEventCallback | NdkDisconnectEventCallbackEx | null,
  eventContext: unknown,
  completion: NdkRequestCompletion,
  context: unknown
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return Effect.succeed(c)
    if (ex && !NdkVersion.isAtLeast(c.adapter.version, NdkVersion.V2_1)) return Effect.succeed(S.STATUS_NOT_SUPPORTED)
    if (typeof completion !== "function") return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    if (c.cm.isRemoved()) return Effect.succeed(S.STATUS_DEVICE_REMOVED)
    if (c.state !== St.INCOMING) return Effect.succeed(BAD_STATE)
    if (c.abandoned) {
      leaveIncoming(c)
      c.state = St.FAILED
      return Effect.succeed(S.STATUS_CONNECTION_ABORTED)
    }
    const qp = resolveQp(c, pNdkQp)
    if (typeof qp === "number") return Effect.succeed(qp)
    if (!isUlong(ird) || !isUlong(ord)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    const info = c.adapter.info
    const pd = checkPrivateData(data, dataLength, info.MaxCalleeData)
    if (pd !== S.STATUS_SUCCESS) return Effect.succeed(pd)
    if (!qp.beginConnect()) return Effect.succeed(S.STATUS_CONNECTION_ACTIVE)
    const k = c.adapter.kernel
    if (Lifetime.unsafeAddDependency(k, qp.rec, c.rec) !== S.STATUS_SUCCESS) {
      qp.abortConnect()
      return Effect.succeed(BAD_STATE)
    }
    c.qp = qp
    const myIrd = Math.min(ird, info.MaxInboundReadLimit)
    const myOrd = Math.min(ord, info.MaxOutboundReadLimit)
    // c.myIrd / c.myOrd hold the active side's capped offer (A.IRD', A.ORD') on a passive connector
    const inbound = Math.min(myIrd, c.myOrd)
    const outbound = Math.min(myOrd, c.myIrd)
    const begun = beginPending(c, completion, context)
    if (begun !== S.STATUS_SUCCESS) {
      qp.abortConnect()
      removeEdge(c, qp.rec)
      c.qp = undefined
      return Effect.succeed(begun)
    }
    leaveIncoming(c)
    c.inbound = inbound
    c.outbound = outbound
    c.disconnect = { callback, context: eventContext, ex }
    c.state = St.ACCEPTING
    c.replyData = (dataLength as number) > 0 ? data!.slice(0, dataLength as number) : new Uint8Array(0)
    // the QP stays "connecting" until the active side's RTU (SPEC.md §9.1): then it moves to connected
    c.retransmit = c.cm.reliable(c.remote, {
      type: Msg.REP,
      srcConn: c.connId,
      dstConn: c.remoteConn,
      qpn: qp.qpn,
      ird: myIrd,
      ord: myOrd,
      data: c.replyData
    }, () => {})
    c.deadline = c.cm.timer(c.cm.config.acceptTimeoutMs, () => {
      if (c.state !== St.ACCEPTING) return
      sendTo(c, Msg.REJ, { reason: Reason.TIMEOUT })
      endConnection(c, St.FAILED)
      finish(c, S.STATUS_IO_TIMEOUT)
    })
    return Effect.succeed(S.STATUS_PENDING)
  })

/**
 * The active side completed (RTU): the passive QP moves to connected and the accept completes. `true` when the
 * accept is now completing.
 */
const onReadyToUse = (c: ConnectorImpl): boolean => {
  if (c.state !== St.ACCEPTING || c.qp === undefined) return false
  stopTimers(c)
  c.state = St.COMPLETING
  const qp = c.qp
  c.cm.fork(Effect.flatMap(
    qp.connectToRemote({ remoteAddress: c.remote, remoteQpn: c.remoteQpn, ird: c.inbound, ord: c.outbound }),
    (s) =>
      Effect.sync(() => {
        if (c.state !== St.COMPLETING) return
        if (s !== S.STATUS_SUCCESS) {
          sendTo(c, Msg.REJ, { reason: Reason.ABANDONED })
          endConnection(c, St.FAILED)
          finish(c, s)
          return
        }
        c.state = St.CONNECTED
        finish(c, S.STATUS_SUCCESS)
        const early = c.peerEndedEarly
        c.peerEndedEarly = 0
        if (early !== 0) endPeer(c, early === 2)
      })
  ))
  return true
}

const reject = (pNdkConnector: unknown, data: Uint8Array | null, dataLength: unknown): Effect.Effect<number> =>
  Effect.sync(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return c
    const pd = checkPrivateData(data, dataLength, c.adapter.info.MaxCalleeData)
    if (pd !== S.STATUS_SUCCESS) return pd
    const payload = (dataLength as number) > 0 ? data!.slice(0, dataLength as number) : new Uint8Array(0)
    switch (c.state) {
      case St.INCOMING:
        leaveIncoming(c)
        if (c.abandoned) {
          c.state = St.FAILED
          return S.STATUS_CONNECTION_ABORTED
        }
        c.state = St.REJECTED
        sendTo(c, Msg.REJ, { reason: Reason.CONSUMER_REJECT, data: payload })
        return S.STATUS_SUCCESS
      case St.REPLIED:
        stopTimers(c)
        c.state = St.REJECTED
        sendTo(c, Msg.REJ, { reason: Reason.CONSUMER_REJECT, data: payload })
        c.qp?.abortConnect()
        return S.STATUS_SUCCESS
      case St.FAILED:
        if (c.failStatus === S.STATUS_CONNECTION_ABORTED || c.abandoned) return S.STATUS_CONNECTION_ABORTED
        return BAD_STATE
      default:
        return BAD_STATE
    }
  })

// ---------------------------------------------------------------------------------------------------------------
// connection data, addresses

const getConnectionData = (
  pNdkConnector: unknown,
  pIrd: Out<number> | null,
  pOrd: Out<number> | null,
  pData: Uint8Array | null,
  pLength: InOut<number>
): Effect.Effect<number> =>
  Effect.sync(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return c
    if (typeof pLength !== "object" || pLength === null || !isUlong(pLength.value)) return S.STATUS_INVALID_PARAMETER
    if (c.peerData === undefined) return S.STATUS_CONNECTION_INVALID
    if (pData === null && pLength.value > 0) return S.STATUS_INVALID_PARAMETER
    if (pIrd !== null && typeof pIrd === "object") pIrd.value = c.inbound
    if (pOrd !== null && typeof pOrd === "object") pOrd.value = c.outbound
    const rds = c.rds
    if (pData === null) {
      pLength.value = rds
      return S.STATUS_SUCCESS
    }
    if (!(pData instanceof Uint8Array)) return S.STATUS_INVALID_PARAMETER
    const n = Math.min(pLength.value, rds, pData.length)
    for (let i = 0; i < n; i++) pData[i] = i < c.peerData.length ? c.peerData[i]! : 0
    const enough = pLength.value >= rds
    pLength.value = rds
    return enough ? S.STATUS_SUCCESS : S.STATUS_BUFFER_TOO_SMALL
  })

const hasLocal = (c: ConnectorImpl): boolean => c.local !== undefined && c.state !== St.IDLE

const hasPeer = (c: ConnectorImpl): boolean =>
  c.peer !== undefined && c.state !== St.IDLE && c.state !== St.DISCONNECTED && c.state !== St.CLOSED

// ---------------------------------------------------------------------------------------------------------------
// disconnect

const disconnect = (
  pNdkConnector: unknown,
  completion: NdkRequestCompletion,
  context: unknown
): Effect.Effect<number> =>
  Effect.sync(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return c
    if (typeof completion !== "function") return S.STATUS_INVALID_PARAMETER
    if (c.cm.isRemoved() && c.state === St.PEER_DISCONNECTED) {
      endConnection(c, St.DISCONNECTED)
      return S.STATUS_DEVICE_REMOVED
    }
    if (c.state !== St.CONNECTED && c.state !== St.PEER_DISCONNECTED) return S.STATUS_CONNECTION_INVALID
    if (c.state === St.PEER_DISCONNECTED && c.peerAborted) {
      // the peer aborted: nothing to hand-shake; the connection is over (SPEC.md §9.8, no half-close)
      endConnection(c, St.DISCONNECTED)
      return S.STATUS_CONNECTION_RESET
    }
    const begun = beginPending(c, completion, context)
    if (begun !== S.STATUS_SUCCESS) return begun
    c.peerDreq = c.state === St.PEER_DISCONNECTED
    c.ownDreqDone = false
    c.state = St.DISCONNECTING
    // R151: the DREQ leaves once the QP's DMA has finished (silent WRs included), so the peer's flush can cut none
    // of it; a QP that does not drain within the timeout is flushed (its DMA ends) and the handshake goes on
    let dreqSent = false
    const sendDreq = () => {
      if (dreqSent || c.state !== St.DISCONNECTING) return
      dreqSent = true
      c.deadline?.cancel()
      c.retransmit = c.cm.reliable(c.remote, { type: Msg.DREQ, srcConn: c.connId, dstConn: c.remoteConn }, () => {
        c.ownDreqDone = true
        checkDisconnected(c)
      })
      c.deadline = c.cm.timer(c.cm.config.disconnectTimeoutMs, () => {
        if (c.state !== St.DISCONNECTING) return
        endConnection(c, St.DISCONNECTED)
        finish(c, S.STATUS_IO_TIMEOUT)
      })
    }
    c.deadline = c.cm.timer(c.cm.config.disconnectTimeoutMs, () => {
      if (dreqSent || c.state !== St.DISCONNECTING) return
      c.qp?.toError()
      sendDreq()
    })
    if (c.qp === undefined) sendDreq()
    else c.qp.whenDrained(sendDreq)
    return S.STATUS_PENDING
  })

// ---------------------------------------------------------------------------------------------------------------
// close

/** What the close does to the connection, by state (SPEC.md §8.7, §8.11, §9.4); synchronous, no callback. */
const teardown = (c: ConnectorImpl): void => {
  const s = c.state
  if (s === St.CLOSED) return
  stopTimers(c)
  switch (s) {
    case St.CONNECTING:
      sendTo(c, Msg.REJ, { reason: Reason.ABANDONED })
      break
    case St.REPLIED:
      sendTo(c, Msg.REJ, { reason: Reason.ABANDONED })
      c.qp?.abortConnect()
      break
    case St.INCOMING:
      leaveIncoming(c)
      if (!c.abandoned) sendTo(c, Msg.REJ, { reason: Reason.CONSUMER_REJECT })
      break
    case St.ACCEPTING:
    case St.COMPLETING:
      sendTo(c, Msg.REJ, { reason: Reason.ABANDONED })
      endConnection(c, St.FAILED)
      break
    case St.CONNECTED:
    case St.DISCONNECTING:
    case St.PEER_DISCONNECTED: {
      if (!(s === St.PEER_DISCONNECTED && c.peerAborted)) {
        // abortive disconnect: the peer sees a disconnect event; retransmitted until acknowledged
        const cm = c.cm
        const remote = c.remote
        const msg = { type: Msg.ABORT, srcConn: c.connId, dstConn: c.remoteConn }
        const id = c.connId
        if (c.listener !== undefined) c.cm.retire(`${c.remote}|${c.remoteConn}`, id)
        c.connId = 0
        const retry: { timer?: Timer } = {}
        cm.conns.set(id, {
          onMessage: (m) => {
            if (m.type === Msg.DREP) {
              retry.timer?.cancel()
              cm.freeConn(id)
            }
          }
        })
        retry.timer = cm.reliable(remote, msg, () => cm.freeConn(id))
      }
      endConnection(c, St.DISCONNECTED)
      break
    }
    default:
      break
  }
  freeConn(c)
  c.state = St.CLOSED
  // the connector's endpoint reference ends with its close request (SPEC.md §8.9)
  c.cm.registry.releaseTuple(c.tuple)
  c.tuple = undefined
  if (c.endpoint !== undefined) c.cm.registry.release(c.endpoint)
  c.endpoint = undefined
}

const released = Effect.succeed(true)

const closeConnector = (
  pNdkObject: unknown,
  completion: (context: unknown) => Effect.Effect<void>,
  context: unknown
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const c = lookup<ConnectorImpl>(pNdkObject, CONNECTOR)
    if (c === undefined) return Effect.succeed(BAD_HANDLE)
    if (c.rec.state === 1) teardown(c)
    const cancel = Effect.sync(() => finish(c, S.STATUS_CANCELLED))
    return close(c, completion, context, cancel, released)
  })

// ---------------------------------------------------------------------------------------------------------------
// dispatch table and creation

const localAddress = (
  pNdkConnector: unknown,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<number>
): Effect.Effect<number> =>
  Effect.sync(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return c
    if (!hasLocal(c)) return S.STATUS_CONNECTION_INVALID
    return writeAddress(c.local!, pAddress, pAddressLength)
  })

const peerAddress = (
  pNdkConnector: unknown,
  pAddress: Out<SockAddr> | null,
  pAddressLength: InOut<number>
): Effect.Effect<number> =>
  Effect.sync(() => {
    const c = asConnector(pNdkConnector)
    if (typeof c === "number") return c
    if (!hasPeer(c)) return S.STATUS_CONNECTION_INVALID
    return writeAddress(c.peer!, pAddress, pAddressLength)
  })

/** The connector dispatch table (13 entries; slots 11–12 refuse with STATUS_NOT_SUPPORTED below 2.1). */
export const connectorDispatch: NdkConnectorDispatch = {
  NdkCloseConnector: (o, completion, context) => closeConnector(o, completion, context),
  NdkQueryExtension: queryExtension,
  NdkConnect: (pc, pq, src, srcLen, dst, dstLen, ird, ord, data, len, completion, context) =>
    connect(
      pc,
      pq,
      { kind: "own", address: src, length: srcLen },
      dst,
      dstLen,
      ird,
      ord,
      data,
      len,
      completion,
      context
    ),
  NdkConnectWithSharedEndpoint: (pc, pq, sep, dst, dstLen, ird, ord, data, len, completion, context) =>
    connect(pc, pq, { kind: "shared", sep }, dst, dstLen, ird, ord, data, len, completion, context),
  NdkCompleteConnect: (pc, cb, ctx, completion, context) => completeConnect(pc, false, cb, ctx, completion, context),
  NdkAccept: (pc, pq, ird, ord, data, len, cb, ctx, completion, context) =>
    accept(pc, false, pq, ird, ord, data, len, cb, ctx, completion, context),
  NdkReject: reject,
  NdkGetConnectionData: getConnectionData,
  NdkGetLocalAddress: localAddress,
  NdkGetPeerAddress: peerAddress,
  NdkDisconnect: disconnect,
  NdkCompleteConnectEx: (pc, cb, ctx, completion, context) => completeConnect(pc, true, cb, ctx, completion, context),
  NdkAcceptEx: (pc, pq, ird, ord, data, len, cb, ctx, completion, context) =>
    accept(pc, true, pq, ird, ord, data, len, cb, ctx, completion, context)
}

const build = (a: AdapterImpl, rec: Lifetime.LifetimeObject): ConnectorImpl => {
  const c = new ConnectorImpl(a, rec, cmOf(a))
  const object = makeObject(CONNECTOR, a.version, connectorDispatch)
  c.object = object
  register(object, c)
  return c
}

/** `NdkCreateConnector` (SPEC.md §6.2). */
export const createConnector = (
  a: AdapterImpl,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkConnector>
): Effect.Effect<number> =>
  create<NdkConnector>(
    a,
    CONNECTOR,
    [],
    completion,
    context,
    out,
    (rec) => Effect.sync(() => ({ object: build(a, rec).object, undo: Effect.void }))
  )

/**
 * A passive connector for an incoming request (SPEC.md §9.3 step 2): created by the provider under the
 * listener's adapter, with the edge listener → connector; `undefined` when the adapter or listener is closing.
 */
export const makeIncoming = (
  a: AdapterImpl,
  listenerRec: Lifetime.LifetimeObject,
  listener: { incoming: number },
  endpoint: Endpoint,
  m: Message,
  from: number
): ConnectorImpl | undefined => {
  const k = a.kernel
  const rec = Lifetime.unsafeCreate(k, CONNECTOR, a.rec)
  if (rec === undefined) return undefined
  if (Lifetime.unsafeAddDependency(k, listenerRec, rec) !== S.STATUS_SUCCESS) {
    cmOf(a).fork(Effect.asVoid(Lifetime.close(k, rec)))
    return undefined
  }
  const c = build(a, rec)
  const cm = c.cm
  const peer: SockAddr = { family: m.family, address: m.srcIp, port: m.srcPort }
  // over a listener on the unspecified address the connection's local address is the one the request named
  const local: SockAddr = endpoint.wildcard
    ? {
      family: m.family,
      address: canonicalIp({ family: m.family, address: m.dstIp, port: 0 }) ?? m.dstIp,
      port: endpoint.port
    }
    : endpoint.address
  const tuple = cm.registry.claimTuple(local, peer)
  if (tuple === undefined) {
    c.state = St.CLOSED
    cmOf(a).fork(Effect.asVoid(Lifetime.close(k, rec)))
    return undefined
  }
  cm.registry.retain(endpoint)
  c.endpoint = endpoint
  c.tuple = tuple
  c.local = local
  c.peer = peer
  c.remote = from
  c.remoteConn = m.srcConn
  c.remoteQpn = m.qpn
  c.myIrd = m.ird
  c.myOrd = m.ord
  const info = a.info
  // before accept, the limits reflect the requester's offer capped by this adapter (SPEC.md §9.6)
  c.inbound = Math.min(m.ord, info.MaxInboundReadLimit)
  c.outbound = Math.min(m.ird, info.MaxOutboundReadLimit)
  c.peerData = m.data
  c.rds = info.MaxCallerData
  c.listener = listener
  listener.incoming++
  c.state = St.INCOMING
  c.connId = cm.allocConn(handler(c))
  cm.passiveByRemote.set(`${from}|${m.srcConn}`, c.connId)
  sendTo(c, Msg.MRA)
  return c
}

/** Closes a provider-made connector the consumer never received (listener closed meanwhile). */
export const dropIncoming = (c: ConnectorImpl): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (c.rec.state === 1) teardown(c)
    return Effect.asVoid(Lifetime.close(c.adapter.kernel, c.rec))
  })
