/**
 * Small helpers over the raw interface, shared by the conformance suite and the simulator: a seeded PRNG, a
 * virtual-time settle loop, creates through the dispatch tables, and the close of any object.
 *
 * @internal
 */
import type { NdkResult } from "@effect-ndk/ndkpi/NdkResult"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import type {
  NdkAdapter,
  NdkConnector,
  NdkCq,
  NdkListener,
  NdkMr,
  NdkObject,
  NdkPd,
  NdkQp
} from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import { ipv4Addr } from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { VirtualClock } from "../VirtualClock.js"

/** @internal */
export const S = NtStatus

/** A seeded PRNG (mulberry32): same seed, same sequence. @internal */
export interface Rng {
  readonly next: () => number
  readonly int: (n: number) => number
  readonly chance: (p: number) => boolean
  readonly pick: <A>(items: ReadonlyArray<A>) => A
}

/** @internal */
export const rng = (seed: number): Rng => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { next, int, chance: (p) => next() < p, pick: (items) => items[int(items.length)]! }
}

/** Lets fibers run and advances virtual time by `stepMs` between rounds until `done` (or the steps run out). */
export const until = (done: () => boolean, steps = 400, stepMs = 1) =>
  Effect.gen(function*() {
    for (let k = 0; k < steps; k++) {
      for (let y = 0; y < 6; y++) {
        if (done()) return true
        yield* Effect.yieldNow()
      }
      if (done()) return true
      const clock = yield* Effect.clock
      if (clock instanceof VirtualClock) yield* clock.adjust(stepMs)
      else yield* TestClock.adjust(`${stepMs} millis`)
    }
    return done()
  })

/** @internal */
export const v4 = (ip: string, port: number): SockAddr => ipv4Addr(ip, port)

/** The IPv4 text of a simulated host (`10.x.y.z` of its fabric address). @internal */
export const ipOf = (n: number): string => `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`

/** @internal */
export class Failed extends Error {}

const need = <T>(st: number, out: OutParam.Out<T>, what: string): Effect.Effect<T, Failed> =>
  st === S.STATUS_SUCCESS && out.value !== undefined ?
    Effect.succeed(out.value) :
    Effect.fail(new Failed(`${what} returned 0x${(st >>> 0).toString(16)}`))

/**
 * Runs a create that may pend (the provider's completion mode): waits for its create completion in virtual
 * time when it returns STATUS_PENDING.
 */
const create = <T>(
  what: string,
  call: (
    completion: (ctx: unknown, status: number, obj: unknown) => Effect.Effect<void>,
    out: OutParam.Out<T>
  ) => Effect.Effect<number>
): Effect.Effect<T, Failed> =>
  Effect.gen(function*() {
    const out = OutParam.out<T>()
    let status = -1
    let created: unknown = undefined
    const st = yield* call((_c, s, obj) =>
      Effect.sync(() => {
        status = s
        created = obj
      }), out)
    if (st !== S.STATUS_PENDING) return yield* need(st, out, what)
    yield* until(() => status !== -1, 2000)
    if (status !== S.STATUS_SUCCESS || created === undefined) {
      return yield* Effect.fail(new Failed(`${what} completed 0x${(status >>> 0).toString(16)}`))
    }
    return created as T
  })

/** @internal */
export const open = (host: NdkProviderHost) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkAdapter>()
    const st = yield* host.OpenNdkAdapter(host.MiniportAdapterContext, {
      Version: NdkVersion.V2_1,
      SwitchId: 0,
      VPortId: 0
    }, out)
    return yield* need(st, out, "OpenNdkAdapter")
  })

/** @internal */
export const createPd = (adapter: NdkAdapter) =>
  create<NdkPd>("NdkCreatePd", (c, out) => adapter.Dispatch.NdkCreatePd(adapter, c, null, out))

/** @internal */
export const createCq = (
  adapter: NdkAdapter,
  depth: number,
  notify: (ctx: unknown, status: number) => Effect.Effect<void>,
  ctx: unknown
) =>
  create<NdkCq>(
    "NdkCreateCq",
    (c, out) => adapter.Dispatch.NdkCreateCq(adapter, depth, notify, ctx, null, c, null, out)
  )

/** @internal */
export const createQp = (pd: NdkPd, cq: NdkCq, qpCtx: unknown, depth = 32) =>
  create<NdkQp>(
    "NdkCreateQp",
    (c, out) => pd.Dispatch.NdkCreateQp(pd, cq, cq, qpCtx, depth, depth, 2, 2, 64, c, null, out)
  )

/** @internal */
export interface Buffer {
  readonly mr: NdkMr
  readonly va: number
  readonly size: number
  readonly token: number
  readonly remote: number
}

/** Creates an MR and registers `[va, va + size)` (local + remote read/write). @internal */
export const registered = (pd: NdkPd, va: number, size: number) =>
  Effect.gen(function*() {
    const mr = yield* create<NdkMr>("NdkCreateMr", (c, out) => pd.Dispatch.NdkCreateMr(pd, false, c, null, out))
    let done = -1
    const rs = yield* mr.Dispatch.NdkRegisterMr(
      mr,
      { virtualAddress: BigInt(va), byteCount: size },
      BigInt(size),
      0x5 | 0x2 | 0x8,
      (_c, s) => Effect.sync(() => void (done = s)),
      "register"
    )
    if (rs === S.STATUS_PENDING) yield* until(() => done !== -1)
    const final = rs === S.STATUS_PENDING ? done : rs
    if (final !== S.STATUS_SUCCESS) {
      return yield* Effect.fail(new Failed(`NdkRegisterMr 0x${(final >>> 0).toString(16)}`))
    }
    const token = yield* mr.Dispatch.NdkGetLocalTokenFromMr(mr)
    const remote = yield* mr.Dispatch.NdkGetRemoteTokenFromMr(mr)
    return { mr, va, size, token, remote } satisfies Buffer
  })

/** @internal */
export const connector = (adapter: NdkAdapter) =>
  create<NdkConnector>("NdkCreateConnector", (c, out) => adapter.Dispatch.NdkCreateConnector(adapter, c, null, out))

/** @internal */
export const listener = (adapter: NdkAdapter, onConnect: (c: NdkConnector) => Effect.Effect<void>) =>
  create<NdkListener>(
    "NdkCreateListener",
    (c, out) => adapter.Dispatch.NdkCreateListener(adapter, (_ctx, x) => onConnect(x), "listen-events", c, null, out)
  )

/** The close function of any object (the first member of every dispatch table is its close). @internal */
export const close = (
  obj: NdkObject,
  completion: (ctx: unknown) => Effect.Effect<void>,
  ctx: unknown
): Effect.Effect<number> => {
  const d = obj.Dispatch as unknown as { readonly [k: string]: unknown }
  const fn = Object.values(d)[0] as (
    obj: NdkObject,
    c: (ctx: unknown) => Effect.Effect<void>,
    ctx: unknown
  ) => Effect.Effect<number>
  return fn(obj, completion, ctx)
}

/**
 * Closes an object and waits (virtual time) until it is closed: `true` when it closed (inline success, or
 * the close completion ran).
 *
 * @internal
 */
export const closeAndWait = (obj: NdkObject, steps = 400) =>
  Effect.gen(function*() {
    let done = false
    const st = yield* close(obj, () => Effect.sync(() => void (done = true)), "close")
    if (st === S.STATUS_SUCCESS) return true
    return yield* until(() => done, steps)
  })

/** Polls everything from a CQ (synchronously when the CQ has an `unsafe` twin). @internal */
export const drain = (cq: NdkCq) =>
  Effect.gen(function*() {
    const out: Array<{ readonly Status: number; readonly RequestContext: unknown; readonly BytesTransferred: number }> =
      []
    while (true) {
      const batch: Array<NdkResult> = []
      const n = yield* cq.Dispatch.NdkGetCqResults(cq, batch, 16)
      for (let i = 0; i < n; i++) out.push(batch[i]!)
      if (n < 16) return out
    }
  })

/** @internal */
export const closeAdapter = (host: NdkProviderHost, adapter: NdkAdapter) =>
  host.CloseNdkAdapter(host.MiniportAdapterContext, adapter)

/** One side of a connection: adapter, a QP on it, and the IPv4 text of its host. @internal */
export interface Side {
  readonly adapter: NdkAdapter
  readonly qp: NdkQp
  readonly ip: string
}

/**
 * Connects `a` (active) to a listener on `b` at `port` through the provider's connection manager: listener,
 * connect, accept, complete connect. Returns the connectors and the listener, or fails.
 *
 * @internal
 */
export const establish = (a: Side, b: Side, port: number, steps = 2000) =>
  Effect.gen(function*() {
    const incoming: Array<NdkConnector> = []
    const l = yield* listener(b.adapter, (c) => Effect.sync(() => void incoming.push(c)))
    const dst = v4(b.ip, port)
    let listened = -1
    const ls = yield* l.Dispatch.NdkListen(l, dst, 16, (_c, s) => Effect.sync(() => void (listened = s)), "listen")
    if (ls === S.STATUS_PENDING) yield* until(() => listened !== -1)
    const lst = ls === S.STATUS_PENDING ? listened : ls
    if (lst !== S.STATUS_SUCCESS) return yield* Effect.fail(new Failed(`NdkListen 0x${(lst >>> 0).toString(16)}`))
    const ca = yield* connector(a.adapter)
    let connected = -1
    const cs = yield* ca.Dispatch.NdkConnect(
      ca,
      a.qp,
      v4(a.ip, 0),
      16,
      dst,
      16,
      4,
      4,
      null,
      0,
      (_c, s) => Effect.sync(() => void (connected = s)),
      "connect"
    )
    if (cs !== S.STATUS_PENDING && cs !== S.STATUS_SUCCESS) {
      return yield* Effect.fail(new Failed(`NdkConnect 0x${(cs >>> 0).toString(16)}`))
    }
    yield* until(() => incoming.length > 0 || connected !== -1, steps)
    const cb = incoming[0]
    if (cb === undefined) {
      return yield* Effect.fail(new Failed(`no connect event (connect 0x${(connected >>> 0).toString(16)})`))
    }
    let accepted = -1
    const as = yield* cb.Dispatch.NdkAccept(
      cb,
      b.qp,
      4,
      4,
      null,
      0,
      () => Effect.void,
      "passive-disconnect",
      (_c, s) => Effect.sync(() => void (accepted = s)),
      "accept"
    )
    if (as !== S.STATUS_PENDING) return yield* Effect.fail(new Failed(`NdkAccept 0x${(as >>> 0).toString(16)}`))
    yield* until(() => connected !== -1, steps)
    if (connected !== S.STATUS_SUCCESS) {
      return yield* Effect.fail(new Failed(`connect completed 0x${(connected >>> 0).toString(16)}`))
    }
    let completed = -1
    const ccs = yield* ca.Dispatch.NdkCompleteConnect(
      ca,
      () => Effect.void,
      "active-disconnect",
      (_c, s) => Effect.sync(() => void (completed = s)),
      "complete"
    )
    if (ccs === S.STATUS_PENDING) yield* until(() => completed !== -1, steps)
    yield* until(() => accepted !== -1, steps)
    if (accepted !== S.STATUS_SUCCESS) {
      return yield* Effect.fail(new Failed(`accept completed 0x${(accepted >>> 0).toString(16)}`))
    }
    return { l, ca, cb }
  })
