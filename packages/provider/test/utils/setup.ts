/**
 * Test helpers: simulated hosts, adapter open, object creation through the dispatch tables, and QP
 * connection straight through the NIC seam (the connection side — connector/listener/CM — is another
 * helper's work; these tests connect QPs the way its connect/accept will, through `QpSeam.connectToRemote`).
 */
import type * as Nic from "@effect-ndk/hardware/Nic"
import { NdkCqNotifyType } from "@effect-ndk/ndkpi/CqNotifyType"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkAdapter, NdkCq, NdkMr, NdkMw, NdkObject, NdkPd, NdkQp, NdkSrq } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { qpSeam } from "../../src/internal/qp.js"
import type * as NdkProvider from "../../src/NdkProvider.js"
import * as SimulatedHosts from "../../src/SimulatedHosts.js"

export const S = NtStatus

/** Lets provider fibers and NIC engines run: yields, then advances virtual time in small steps. */
export const settle = (done: () => boolean, steps = 400, stepUs = 50) =>
  Effect.gen(function*() {
    for (let k = 0; k < steps; k++) {
      for (let y = 0; y < 4; y++) {
        if (done()) return true
        yield* Effect.yieldNow()
      }
      if (done()) return true
      yield* TestClock.adjust(`${stepUs} micros`)
    }
    return done()
  })

/** Runs for a while in virtual time. */
export const run = (us: number) => settle(() => false, Math.ceil(us / 50))

/** Yields a few times (lets forked provider fibers run without advancing time). */
export const yields = (n = 20) => Effect.forEach(Array.from({ length: n }), () => Effect.yieldNow(), { discard: true })

export const hosts = (
  count: number,
  options: Omit<SimulatedHosts.Options, "count"> = {}
): Effect.Effect<SimulatedHosts.Hosts, Nic.NicError, Scope.Scope> => SimulatedHosts.make({ count, ...options })

export const open = (provider: NdkProvider.Provider, version: NdkVersion.NdkVersion = NdkVersion.V2_1) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkAdapter>()
    const st = yield* provider.OpenNdkAdapter(provider.MiniportAdapterContext, {
      Version: version,
      SwitchId: 0,
      VPortId: 0
    }, out)
    if (st !== S.STATUS_SUCCESS || out.value === undefined) return yield* Effect.dieMessage(`open failed ${st}`)
    return out.value
  })

const noCreate = () => Effect.void

const need = <T>(st: number, out: OutParam.Out<T>, what: string): Effect.Effect<T> =>
  st === S.STATUS_SUCCESS && out.value !== undefined ?
    Effect.succeed(out.value) :
    Effect.dieMessage(`${what} failed 0x${(st >>> 0).toString(16)}`)

export interface Notes {
  readonly statuses: Array<number>
}

export const createCq = (adapter: NdkAdapter, depth = 64, notes: Notes = { statuses: [] }) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkCq>()
    const st = yield* adapter.Dispatch.NdkCreateCq(
      adapter,
      depth,
      (_ctx, status) => Effect.sync(() => void notes.statuses.push(status)),
      notes,
      null,
      noCreate,
      null,
      out
    )
    return yield* need(st, out, "create CQ")
  })

export const createPd = (adapter: NdkAdapter) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkPd>()
    const st = yield* adapter.Dispatch.NdkCreatePd(adapter, noCreate, null, out)
    return yield* need(st, out, "create PD")
  })

export interface QpOptions {
  readonly rq?: number
  readonly iq?: number
  readonly rsge?: number
  readonly isge?: number
  readonly inline?: number
  readonly context?: unknown
  readonly srq?: NdkSrq
}

export const createQp = (pd: NdkPd, rcq: NdkCq, icq: NdkCq, o: QpOptions = {}) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkQp>()
    const st = o.srq !== undefined
      ? yield* pd.Dispatch.NdkCreateQpWithSrq(
        pd,
        rcq,
        icq,
        o.srq,
        o.context ?? "qp",
        o.iq ?? 32,
        o.isge ?? 4,
        o.inline ?? 64,
        noCreate,
        null,
        out
      )
      : yield* pd.Dispatch.NdkCreateQp(
        pd,
        rcq,
        icq,
        o.context ?? "qp",
        o.rq ?? 32,
        o.iq ?? 32,
        o.rsge ?? 4,
        o.isge ?? 4,
        o.inline ?? 64,
        noCreate,
        null,
        out
      )
    return yield* need(st, out, "create QP")
  })

export const createSrq = (pd: NdkPd, depth = 32, threshold = 0, notes?: Notes) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkSrq>()
    const st = yield* pd.Dispatch.NdkCreateSrq(
      pd,
      depth,
      4,
      threshold,
      notes === undefined ? null : (_ctx, status) => Effect.sync(() => void notes.statuses.push(status)),
      notes,
      null,
      noCreate,
      null,
      out
    )
    return yield* need(st, out, "create SRQ")
  })

export interface Buffer {
  readonly mr: NdkMr
  readonly va: number
  readonly size: number
  readonly token: number
  readonly remote: number
}

/** Allocates host memory and registers it (flags default: remote read + write + read sink). */
export const registered = (nic: Nic.Nic, pd: NdkPd, size = 16384, flags = 0x5 | 0x2 | 0x8) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkMr>()
    const st = yield* pd.Dispatch.NdkCreateMr(pd, false, noCreate, null, out)
    const mr = yield* need(st, out, "create MR")
    const va = nic.memory.alloc(size, 4096)
    const rs = yield* mr.Dispatch.NdkRegisterMr(
      mr,
      { virtualAddress: BigInt(va), byteCount: size },
      BigInt(size),
      flags,
      () => Effect.void,
      null
    )
    if (rs !== S.STATUS_SUCCESS) return yield* Effect.dieMessage(`register failed ${rs}`)
    const token = yield* mr.Dispatch.NdkGetLocalTokenFromMr(mr)
    const remote = yield* mr.Dispatch.NdkGetRemoteTokenFromMr(mr)
    return { mr, va, size, token, remote } satisfies Buffer
  })

export const createMw = (pd: NdkPd) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkMw>()
    const st = yield* pd.Dispatch.NdkCreateMw(pd, noCreate, null, out)
    return yield* need(st, out, "create MW")
  })

export const sge = (b: Buffer, offset: number, length: number) => Sge.make(BigInt(b.va + offset), length, b.token)

/** Connects two QPs directly through the NIC seam (what connect/accept does once the CM handshake is done). */
export const connect = (a: NdkQp, aAddress: number, b: NdkQp, bAddress: number, ird = 8, ord = 8) =>
  Effect.gen(function*() {
    const sa = qpSeam(a)
    const sb = qpSeam(b)
    if (sa === undefined || sb === undefined) return yield* Effect.dieMessage("not QPs")
    sa.beginConnect()
    sb.beginConnect()
    const r1 = yield* sa.connectToRemote({ remoteAddress: bAddress, remoteQpn: sb.qpn, ird, ord })
    const r2 = yield* sb.connectToRemote({ remoteAddress: aAddress, remoteQpn: sa.qpn, ird, ord })
    if (r1 !== S.STATUS_SUCCESS || r2 !== S.STATUS_SUCCESS) return yield* Effect.dieMessage("connect failed")
  })

/** Polls every result from a CQ. */
export const drain = (cq: NdkCq): Array<NdkResult> => {
  const out: Array<NdkResult> = []
  while (true) {
    const batch: Array<NdkResult> = []
    const n = cq.unsafe!.NdkGetCqResults(cq, batch, 16)
    out.push(...batch.slice(0, n))
    if (n < 16) return out
  }
}

export const drainEx = (cq: NdkCq): Array<NdkResultEx> => {
  const out: Array<NdkResultEx> = []
  while (true) {
    const batch: Array<NdkResultEx> = []
    const n = cq.unsafe!.NdkGetCqResultsEx(cq, batch, 16)
    out.push(...batch.slice(0, n))
    if (n < 16) return out
  }
}

/** Polls until `n` results were collected (or the time runs out). */
export const collect = (cq: NdkCq, n: number, into: Array<NdkResult> = []) =>
  Effect.map(
    settle(() => {
      into.push(...drain(cq))
      return into.length >= n
    }),
    () => into
  )

export const closeObj = (obj: NdkObject, log: Array<unknown> = [], ctx: unknown = "close") => {
  const fn = Object.values(obj.Dispatch as object)[0] as (
    obj: NdkObject,
    c: (ctx: unknown) => Effect.Effect<void>,
    ctx: unknown
  ) => Effect.Effect<number>
  return fn(obj, (c) => Effect.sync(() => void log.push(c)), ctx)
}

export const ANY = NdkCqNotifyType.NDK_CQ_NOTIFY_ANY
export const SOLICITED = NdkCqNotifyType.NDK_CQ_NOTIFY_SOLICITED
export const ERRORS = NdkCqNotifyType.NDK_CQ_NOTIFY_ERRORS

/** Two hosts, an adapter on each, a PD, one CQ each, one connected QP pair, one registered buffer each. */
export const pair = (options: Omit<SimulatedHosts.Options, "count"> & { readonly qp?: QpOptions } = {}) =>
  Effect.gen(function*() {
    const { fabric, hosts: hs } = yield* hosts(2, options)
    const side = (i: number) =>
      Effect.gen(function*() {
        const host = hs[i]!
        const adapter = yield* open(host.provider)
        const pd = yield* createPd(adapter)
        const notes: Notes = { statuses: [] }
        const cq = yield* createCq(adapter, 256, notes)
        const qp = yield* createQp(pd, cq, cq, { ...options.qp, context: `qp${i}` })
        const buf = yield* registered(host.nic, pd, 65536)
        return { host, adapter, pd, cq, qp, buf, notes }
      })
    const a = yield* side(0)
    const b = yield* side(1)
    yield* connect(a.qp, a.host.address, b.qp, b.host.address)
    return { fabric, a, b }
  })
