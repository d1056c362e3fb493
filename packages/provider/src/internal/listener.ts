/**
 * The listener (SPEC.md §6.11, §7.6, §8.9): NdkListen binds the listener's implicit endpoint and starts
 * accepting; each incoming request raises one connect event with a new provider-made connector (edge
 * listener → connector, R128); NdkControlConnectEvents pauses (requests refused) and resumes (R129). Closing
 * the listener refuses new requests at once, even while its close pends (R130), and the close pends until
 * every connector it delivered is closed (R131) and a running connect event returned (R20).
 *
 * @internal
 */
import { Lifetime } from "@effect-ndk/lifetime"
import { NdkAdapterFlag } from "@effect-ndk/ndkpi/AdapterFlag"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  NdkConnectEventCallback,
  NdkCreateCompletion,
  NdkListener,
  NdkListenerDispatch
} from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import type { AdapterImpl } from "./adapter.js"
import type { HostCm, Message } from "./cm.js"
import { Msg, Reason } from "./cm.js"
import { checkAddress, cmOf, dropIncoming, makeIncoming, writeAddress } from "./connector.js"
import type { Endpoint } from "./endpoints.js"
import { isWildcard } from "./endpoints.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import {
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

const S = NtStatus
/** `NDK_OBJECT_TYPE` of a listener. */
export const LISTENER = NdkObjectType.NdkObjectTypeListener

/** Provider record of a listener. */
export class ListenerImpl implements ObjectImpl {
  readonly type = LISTENER
  readonly ops = new Set<PendingOp>()
  object!: NdkListener
  endpoint: Endpoint | undefined = undefined
  listening = false
  paused = false
  /** delivered connectors not yet accepted / rejected (the backlog) */
  incoming = 0
  constructor(
    readonly adapter: AdapterImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly cm: HostCm,
    readonly connectEvent: NdkConnectEventCallback,
    readonly connectEventContext: unknown
  ) {}
}

const refuse = (cm: HostCm, from: number, m: Message, reason: number): void => {
  cm.send(from, { type: Msg.REJ, dstConn: m.srcConn, reason })
}

/** A new (non-duplicate) connection request for this listener's endpoint. */
const onRequest = (l: ListenerImpl, m: Message, from: number): void => {
  const cm = l.cm
  // closing (R130) or paused (R129): as if no listener existed on the address
  if (!Lifetime.mayNotify(l.rec) || l.paused || l.endpoint === undefined) {
    refuse(cm, from, m, Reason.NO_LISTENER)
    return
  }
  const a = l.adapter
  if (
    from === cm.address &&
    (a.info.AdapterFlags & NdkAdapterFlag.NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED) === 0
  ) {
    refuse(cm, from, m, Reason.NO_LISTENER)
    return
  }
  if (l.incoming >= cm.config.backlog) {
    refuse(cm, from, m, Reason.BACKLOG)
    return
  }
  const c = makeIncoming(a, l.rec, l, l.endpoint, m, from)
  if (c === undefined) {
    refuse(cm, from, m, Reason.NO_LISTENER)
    return
  }
  const event = l.connectEvent
  const ctx = l.connectEventContext
  cm.fork(
    Effect.flatMap(
      Lifetime.notify(a.kernel, l.rec, Effect.suspend(() => event(ctx, c.object))),
      (raised) => raised ? Effect.void : dropIncoming(c)
    )
  )
}

const asListener = (p: unknown): ListenerImpl | number => validate<ListenerImpl>(p, LISTENER)

const stopAccepting = (l: ListenerImpl): void => {
  const ep = l.endpoint
  if (ep !== undefined && l.cm.acceptors.get(ep.key) !== undefined) l.cm.acceptors.delete(ep.key)
  l.listening = false
}

/** The listener dispatch table (5 entries). */
export const listenerDispatch: NdkListenerDispatch = {
  NdkCloseListener: (o, completion, context) =>
    Effect.suspend(() => {
      const l = lookup<ListenerImpl>(o, LISTENER)
      if (l === undefined) return Effect.succeed(BAD_HANDLE)
      // new requests are refused from this instant, even while the close pends (SPEC.md §8.9)
      if (l.rec.state === 1) {
        stopAccepting(l)
        // the listener's own endpoint reference ends with its close request; connectors accepted over the
        // endpoint keep it bound until they are closed (SPEC.md §8.9, R133)
        if (l.endpoint !== undefined) l.cm.registry.release(l.endpoint)
      }
      return close(l, completion, context, Effect.void, Effect.succeed(true))
    }),
  NdkQueryExtension: queryExtension,
  NdkListen: (o, pAddress, addressLength, completion, context) =>
    Effect.suspend(() => {
      const l = asListener(o)
      if (typeof l === "number") return Effect.succeed(l)
      const ad = checkAddress(pAddress, addressLength)
      if (ad !== S.STATUS_SUCCESS) return Effect.succeed(ad)
      if (l.endpoint !== undefined) return Effect.succeed(BAD_STATE)
      const addr = pAddress as SockAddr
      // the unspecified address listens on every address of the adapter in its family (model decision)
      if (!isWildcard(addr) && !l.cm.registry.owns(addr)) return Effect.succeed(S.STATUS_INVALID_ADDRESS)
      const work = Effect.sync(() => {
        if (l.rec.state !== 1) return S.STATUS_CANCELLED
        if (l.endpoint !== undefined) return BAD_STATE
        const bound = l.cm.registry.bind(addr, "listener", true)
        if (typeof bound === "number") return bound
        l.endpoint = bound
        bound.acceptor = l
        l.listening = true
        l.cm.acceptors.set(bound.key, { onRequest: (m, from) => onRequest(l, m, from) })
        return S.STATUS_SUCCESS
      })
      return request(l, completion, context, work)
    }),
  NdkGetLocalAddress: (o, pAddress, pLength) =>
    Effect.sync(() => {
      const l = asListener(o)
      if (typeof l === "number") return l
      if (l.endpoint === undefined) return BAD_STATE
      return writeAddress(l.endpoint.address, pAddress, pLength)
    }),
  NdkControlConnectEvents: (o, pause) =>
    Effect.sync(() => {
      const l = lookup<ListenerImpl>(o, LISTENER)
      if (l !== undefined) l.paused = pause === true
    })
}

/** `NdkCreateListener` (SPEC.md §6.2): the listener does not listen until NdkListen succeeds. */
export const createListener = (
  a: AdapterImpl,
  connectEvent: NdkConnectEventCallback,
  connectEventContext: unknown,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkListener>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    if (typeof connectEvent !== "function") return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    return create<NdkListener>(a, LISTENER, [], completion, context, out, (rec) =>
      Effect.sync(() => {
        const l = new ListenerImpl(a, rec, cmOf(a), connectEvent, connectEventContext)
        const object = makeObject(LISTENER, a.version, listenerDispatch)
        l.object = object
        register(object, l)
        return { object, undo: Effect.void }
      }))
  })
