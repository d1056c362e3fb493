import { LifetimeEvent } from "@effect-ndk/lifetime"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkCq, NdkCreateCompletion, NdkMr, NdkObject, NdkPd, NdkQp } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import {
  ANY,
  closeObj,
  collect,
  createCq,
  createMw,
  createPd,
  createQp,
  createSrq,
  drain,
  hosts,
  open,
  pair,
  registered,
  run,
  S,
  settle,
  sge
} from "./utils/setup.js"

const done = () => Effect.void

const oneHost = (options: Parameters<typeof hosts>[1] = {}) =>
  Effect.gen(function*() {
    const { hosts: [h] } = yield* hosts(1, options)
    const adapter = yield* open(h!.provider)
    return { h: h!, adapter }
  })

/** A pending register on a fresh MR (mode must be "pending"); the completion logs. */
const pendingRegister = (
  h: { readonly nic: { readonly memory: { readonly alloc: (n: number, a?: number) => number } } },
  pd: NdkPd,
  log: Array<unknown>,
  body: (mr: NdkMr) => Effect.Effect<void> = () => Effect.void
) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkMr>()
    const made: { mr?: NdkMr } = {}
    yield* pd.Dispatch.NdkCreateMr(
      pd,
      false,
      (_c, _s, o) =>
        Effect.sync(() => {
          made.mr = o as NdkMr
        }),
      null,
      out
    )
    yield* settle(() => made.mr !== undefined || out.value !== undefined)
    const mr = made.mr ?? out.value
    if (mr === undefined) return yield* Effect.dieMessage("no MR")
    const va = h.nic.memory.alloc(4096, 4096)
    const st = yield* mr.Dispatch.NdkRegisterMr(
      mr,
      { virtualAddress: BigInt(va), byteCount: 4096 },
      4096n,
      0x1,
      (ctx, status) =>
        Effect.gen(function*() {
          log.push(["register", ctx, status])
          yield* body(mr)
          log.push("register-returned")
        }),
      "reg-ctx"
    )
    return { mr, st }
  })

describe("asynchrony and creation", () => {
  it.scoped("R1, R2, R4: a pending create calls back once with the object and leaves the out-parameter unwritten; inline never calls back", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const calls: Array<[unknown, number, NdkObject | null]> = []
      const out = OutParam.out<NdkPd>()
      expect(
        yield* adapter.Dispatch.NdkCreatePd(
          adapter,
          (c, s, o) => Effect.sync(() => void calls.push([c, s, o])),
          "c1",
          out
        )
      ).toBe(S.STATUS_SUCCESS)
      expect(out.value?.Header.ObjectType).toBe(NdkObjectType.NdkObjectTypePd)
      yield* run(300)
      expect(calls).toEqual([])
      yield* h.provider.setMode("pending")
      const out2 = OutParam.out<NdkPd>()
      expect(
        yield* adapter.Dispatch.NdkCreatePd(
          adapter,
          (c, s, o) => Effect.sync(() => void calls.push([c, s, o])),
          "c2",
          out2
        )
      ).toBe(S.STATUS_PENDING)
      expect(calls).toEqual([])
      yield* settle(() => calls.length > 0)
      yield* run(300)
      expect(out2.value).toBeUndefined()
      expect(calls.length).toBe(1)
      expect(calls[0]![0]).toBe("c2")
      expect(calls[0]![1]).toBe(S.STATUS_SUCCESS)
      expect(calls[0]![2]?.Header.ObjectType).toBe(NdkObjectType.NdkObjectTypePd)
    }))

  it.scoped("R1, R2, R3: a pending request calls back exactly once with its context; an inline one never", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const log: Array<unknown> = []
      const inline = yield* registered(h.nic, pd, 4096)
      expect(yield* inline.mr.Dispatch.NdkDeregisterMr(inline.mr, (c, s) => Effect.sync(() => log.push([c, s])), "x"))
        .toBe(0)
      yield* run(300)
      expect(log).toEqual([])
      yield* h.provider.setMode("pending")
      const ctx = { id: "mine" }
      expect(
        yield* inline.mr.Dispatch.NdkRegisterMr(
          inline.mr,
          { virtualAddress: BigInt(inline.va), byteCount: 4096 },
          4096n,
          1,
          (c, s) => Effect.sync(() => log.push([c, s])),
          ctx
        )
      ).toBe(S.STATUS_PENDING)
      yield* settle(() => log.length > 0)
      yield* run(300)
      expect(log.length).toBe(1)
      expect((log[0] as [unknown, number])[0]).toBe(ctx)
      expect((log[0] as [unknown, number])[1]).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R3: notification and close contexts come back by identity", () =>
    Effect.gen(function*() {
      const { adapter } = yield* oneHost()
      const nctx = { n: 1 }
      const cctx = { c: 1 }
      const seen: Array<unknown> = []
      const out = OutParam.out<NdkCq>()
      yield* adapter.Dispatch.NdkCreateCq(
        adapter,
        8,
        (c) => Effect.sync(() => void seen.push(c)),
        nctx,
        null,
        done,
        null,
        out
      )
      const cq = out.value!
      const pd = yield* createPd(adapter)
      const qp = yield* createQp(pd, cq, cq)
      yield* cq.Dispatch.NdkArmCq(cq, ANY)
      yield* qp.Dispatch.NdkFlush(qp)
      yield* qp.Dispatch.NdkReceive(qp, "r", [], 0)
      yield* settle(() => seen.length > 0)
      expect(seen[0]).toBe(nctx)
      const closes: Array<unknown> = []
      expect(yield* closeObj(cq, closes, cctx)).toBe(S.STATUS_PENDING)
      expect(yield* closeObj(qp)).toBe(S.STATUS_SUCCESS)
      yield* settle(() => closes.length > 0)
      expect(closes[0]).toBe(cctx)
    }))

  it.scoped("R5, R6: created objects carry their type, the negotiated version and a zeroed reserved block", () =>
    Effect.gen(function*() {
      const { h } = yield* oneHost()
      const adapter = yield* open(h.provider, NdkVersion.V1_1)
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const srq = yield* createSrq(pd)
      const mw = yield* createMw(pd)
      const mr = (yield* registered(h.nic, pd, 4096)).mr
      const all: Array<[NdkObject, number]> = [
        [adapter, 1],
        [qp, 2],
        [cq, 3],
        [mr, 4],
        [mw, 5],
        [pd, 6],
        [srq, 10]
      ]
      for (const [o, t] of all) {
        expect(o.Header.ObjectType).toBe(t)
        expect(o.Header.Version).toEqual(NdkVersion.V1_2)
        expect(o.Header.NdkReserved.rf).toEqual([null, null, null, null])
      }
    }))

  it.scoped("R7: injected failures: STATUS_INSUFFICIENT_RESOURCES inline and through the completion; nothing exists", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost({ provider: { faults: { createFailure: 1 } } })
      const out = OutParam.out<NdkPd>()
      expect(yield* adapter.Dispatch.NdkCreatePd(adapter, done, null, out)).toBe(S.STATUS_INSUFFICIENT_RESOURCES)
      expect(out.value).toBeUndefined()
      yield* h.provider.setMode("pending")
      const calls: Array<[number, NdkObject | null]> = []
      expect(
        yield* adapter.Dispatch.NdkCreatePd(
          adapter,
          (_c, s, o) => Effect.sync(() => void calls.push([s, o])),
          null,
          out
        )
      ).toBe(S.STATUS_PENDING)
      yield* settle(() => calls.length > 0)
      expect(calls).toEqual([[S.STATUS_INSUFFICIENT_RESOURCES, null]])
      expect(h.nic.stats().pds).toBe(0)
      // the adapter closes at once: nothing was left behind
      yield* h.provider.CloseNdkAdapter(null, adapter)
    }))

  it.scoped("R7: every object-side create (CQ, PD, MR, MW, SRQ, QP) fails both ways under injection", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const srq = yield* createSrq(pd)
      const before = h.nic.stats()
      yield* h.provider.setFaults({ createFailure: 1 })
      const creates = (cb: NdkCreateCompletion): ReadonlyArray<Effect.Effect<number>> => [
        adapter.Dispatch.NdkCreateCq(adapter, 8, done, null, null, cb, null, OutParam.out()),
        adapter.Dispatch.NdkCreatePd(adapter, cb, null, OutParam.out()),
        pd.Dispatch.NdkCreateMr(pd, false, cb, null, OutParam.out()),
        pd.Dispatch.NdkCreateMw(pd, cb, null, OutParam.out()),
        pd.Dispatch.NdkCreateSrq(pd, 8, 1, 0, null, null, null, cb, null, OutParam.out()),
        pd.Dispatch.NdkCreateQp(pd, cq, cq, null, 8, 8, 1, 1, 0, cb, null, OutParam.out()),
        pd.Dispatch.NdkCreateQpWithSrq(pd, cq, cq, srq, null, 8, 1, 0, cb, null, OutParam.out())
      ]
      const calls: Array<[number, NdkObject | null]> = []
      const cb: NdkCreateCompletion = (_c, s, o) => Effect.sync(() => void calls.push([s, o]))
      for (const c of creates(cb)) expect(yield* c).toBe(S.STATUS_INSUFFICIENT_RESOURCES)
      yield* run(300)
      expect(calls).toEqual([])
      yield* h.provider.setMode("pending")
      for (const c of creates(cb)) expect(yield* c).toBe(S.STATUS_PENDING)
      yield* settle(() => calls.length >= 7)
      expect(calls).toEqual(Array.from({ length: 7 }, () => [S.STATUS_INSUFFICIENT_RESOURCES, null]))
      const after = h.nic.stats()
      expect([after.cqs, after.pds, after.mrs, after.mws, after.srqs, after.qps]).toEqual([
        before.cqs,
        before.pds,
        before.mrs,
        before.mws,
        before.srqs,
        before.qps
      ])
    }))

  it.scoped("R8: in pending-inline mode the callback runs inside the call, which then returns STATUS_PENDING", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      yield* h.provider.setMode("pendingInline")
      let inside = false
      let returned = false
      const st = yield* adapter.Dispatch.NdkCreatePd(
        adapter,
        () =>
          Effect.sync(() => {
            inside = !returned
          }),
        null,
        OutParam.out()
      )
      returned = true
      expect(st).toBe(S.STATUS_PENDING)
      expect(inside).toBe(true)
    }))

  it.scoped("R11: the provider finds objects by header: a forged struct with a real table is refused, a replaced Dispatch changes nothing", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const table = a.qp.Dispatch
      const forged = { Header: { ...a.qp.Header }, Dispatch: table } as NdkQp
      expect(yield* table.NdkSend(forged, "x", [sge(a.buf, 0, 8)], 1, 0)).toBe(S.STATUS_INVALID_PARAMETER)
      ;(a.qp as { Dispatch: unknown }).Dispatch = {}
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 0, 8)], 1)
      expect(yield* table.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)).toBe(S.STATUS_SUCCESS)
      expect((yield* collect(a.cq, 1))[0]!.RequestContext).toBe("s")
    }))

  it.scoped("R49: CqDepth above MaxCqDepth (or 0) fails inline, creates nothing, calls nothing", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      yield* h.provider.setMode("pending")
      const calls: Array<unknown> = []
      const cb = () => Effect.sync(() => void calls.push(1))
      for (const depth of [h.nic.info.maxCqDepth + 1, 0]) {
        expect(yield* adapter.Dispatch.NdkCreateCq(adapter, depth, done, null, null, cb, null, OutParam.out())).toBe(
          S.STATUS_INVALID_PARAMETER
        )
      }
      yield* run(300)
      expect(calls).toEqual([])
      expect(h.nic.stats().cqs).toBe(0)
    }))

  it.scoped("R50: NdkCreateQp fails with STATUS_INVALID_PARAMETER for each of the five limits", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const i = h.nic.info
      const base = [32, 32, 4, 4, 64] as const
      const over = [i.maxRqDepth + 1, i.maxSqDepth + 1, i.maxRecvSge + 1, i.maxSendSge + 1, i.maxInline + 1]
      for (let k = 0; k < 5; k++) {
        const v = [...base] as Array<number>
        v[k] = over[k]!
        expect(
          yield* pd.Dispatch.NdkCreateQp(
            pd,
            cq,
            cq,
            null,
            v[0]!,
            v[1]!,
            v[2]!,
            v[3]!,
            v[4]!,
            done,
            null,
            OutParam.out()
          )
        ).toBe(S.STATUS_INVALID_PARAMETER)
      }
      expect(h.nic.stats().qps).toBe(0)
    }))

  it.scoped("R51: NdkCreateQpWithSrq fails with STATUS_INVALID_PARAMETER for each of its three limits", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const srq = yield* createSrq(pd)
      const i = h.nic.info
      const cases = [[i.maxSqDepth + 1, 4, 64], [32, i.maxSendSge + 1, 64], [32, 4, i.maxInline + 1]]
      for (const [d, s, n] of cases) {
        expect(yield* pd.Dispatch.NdkCreateQpWithSrq(pd, cq, cq, srq, null, d!, s!, n!, done, null, OutParam.out()))
          .toBe(S.STATUS_INVALID_PARAMETER)
      }
      expect(h.nic.stats().qps).toBe(0)
    }))

  it.scoped("R165: the new object can be used inside its create completion", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      yield* h.provider.setMode("pending")
      let inner = -1
      yield* adapter.Dispatch.NdkCreatePd(
        adapter,
        (_c, _s, o) =>
          Effect.gen(function*() {
            const pd = o as NdkPd
            const token = OutParam.out<number>()
            yield* pd.Dispatch.NdkGetPrivilegedMemoryRegionToken(pd, token)
            inner = yield* pd.Dispatch.NdkCreateMw(pd, done, null, OutParam.out())
          }),
        null,
        OutParam.out()
      )
      yield* settle(() => inner !== -1)
      expect(inner).toBe(S.STATUS_PENDING)
    }))
})

describe("close and lifetime", () => {
  it.scoped("R12, R13, R14: close returns SUCCESS (no callback ever) or PENDING (one completion with the context)", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const srq = yield* createSrq(pd)
      const mw = yield* createMw(pd)
      const mr = (yield* registered(h.nic, pd, 4096)).mr
      const log: Array<unknown> = []
      // antecedents first: PENDING
      expect(yield* closeObj(pd, log, "pd")).toBe(S.STATUS_PENDING)
      expect(yield* closeObj(cq, log, "cq")).toBe(S.STATUS_PENDING)
      // leaves: SUCCESS
      for (const o of [qp, srq, mw, mr]) expect(yield* closeObj(o, log, "leaf")).toBe(S.STATUS_SUCCESS)
      yield* settle(() => log.length >= 2)
      yield* run(300)
      expect(log.sort()).toEqual(["cq", "pd"])
      // second close: the first status, nothing new
      expect(yield* closeObj(qp, log, "again")).toBe(S.STATUS_SUCCESS)
      yield* run(300)
      expect(log.length).toBe(2)
      expect(h.nic.stats()).toEqual(expect.objectContaining({ pds: 0, qps: 0, cqs: 0, mrs: 0, mws: 0, srqs: 0 }))
    }))

  it.scoped("R13, R18: an armed CQ closes with SUCCESS and never notifies", () =>
    Effect.gen(function*() {
      const { adapter } = yield* oneHost()
      const statuses: Array<number> = []
      const cq = yield* createCq(adapter, 8, { statuses })
      yield* cq.Dispatch.NdkArmCq(cq, ANY)
      expect(yield* closeObj(cq)).toBe(S.STATUS_SUCCESS)
      yield* run(500)
      expect(statuses).toEqual([])
    }))

  it.scoped("R17: closing a CQ while its notification runs pends until the callback returned", () =>
    Effect.gen(function*() {
      const { adapter } = yield* oneHost()
      const log: Array<unknown> = []
      const out = OutParam.out<NdkCq>()
      yield* adapter.Dispatch.NdkCreateCq(
        adapter,
        8,
        () =>
          Effect.gen(function*() {
            log.push("notify")
            log.push(["close", yield* closeObj(out.value!, log, "closed")])
            yield* Effect.sleep("1 millis")
            log.push("notify-returned")
          }),
        null,
        null,
        done,
        null,
        out
      )
      const cq = out.value!
      const pd = yield* createPd(adapter)
      const qp = yield* createQp(pd, cq, cq)
      yield* cq.Dispatch.NdkArmCq(cq, ANY)
      yield* qp.Dispatch.NdkReceive(qp, "r", [], 0)
      yield* qp.Dispatch.NdkFlush(qp)
      yield* settle(() => log.includes("notify"))
      expect(yield* closeObj(qp)).toBe(S.STATUS_SUCCESS)
      yield* settle(() => log.includes("closed"))
      expect(log).toEqual(["notify", ["close", S.STATUS_PENDING], "notify-returned", "closed"])
    }))

  it.scoped("R19, R23, R28: after NdkCloseCq no notification starts, but the open QP keeps completing into it", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      yield* a.cq.Dispatch.NdkArmCq(a.cq, ANY)
      const closes: Array<unknown> = []
      expect(yield* closeObj(a.cq, closes, "cq")).toBe(S.STATUS_PENDING)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 0, 8)], 1)
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)).toBe(S.STATUS_SUCCESS)
      const r = yield* collect(a.cq, 1)
      expect(r.map((x) => [x.RequestContext, x.Status])).toEqual([["s", 0]])
      yield* run(500)
      expect(a.notes.statuses).toEqual([])
      expect(closes).toEqual([])
      expect(yield* closeObj(a.qp)).toBe(S.STATUS_SUCCESS)
      yield* settle(() => closes.length > 0)
      expect(closes).toEqual(["cq"])
    }))

  it.scoped("R16, R21, R168: a request pending at close completes STATUS_CANCELLED after the close call, before the close completion", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      yield* h.provider.setMode("pending")
      const log: Array<unknown> = []
      const { mr, st } = yield* pendingRegister(h, pd, log, () => Effect.sleep("1 millis"))
      expect(st).toBe(S.STATUS_PENDING)
      log.push(["close", yield* closeObj(mr, log, "closed")])
      expect(log).toEqual([["close", S.STATUS_PENDING]])
      yield* settle(() => log.includes("closed"))
      expect(log).toEqual([
        ["close", S.STATUS_PENDING],
        ["register", "reg-ctx", S.STATUS_CANCELLED],
        "register-returned",
        "closed"
      ])
    }))

  it.scoped("R30: closing an object from inside its own completion callback", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      yield* h.provider.setMode("pending")
      const log: Array<unknown> = []
      yield* pendingRegister(h, pd, log, (mr) =>
        Effect.map(closeObj(mr, log, "closed"), (s) =>
          void log.push(["inner", s])))
      yield* settle(() =>
        log.includes("closed")
      )
      yield* run(300)
      expect(log).toEqual([
        ["register", "reg-ctx", S.STATUS_SUCCESS],
        ["inner", S.STATUS_PENDING],
        "register-returned",
        "closed"
      ])
    }))

  it.scoped("R22: a PD with open children pends until the last child's close completion returned", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const mw = yield* createMw(pd)
      const srq = yield* createSrq(pd)
      const mr = (yield* registered(h.nic, pd, 4096)).mr
      const log: Array<unknown> = []
      expect(yield* closeObj(pd, log, "pd")).toBe(S.STATUS_PENDING)
      for (const o of [qp, mw, srq]) {
        expect(yield* closeObj(o)).toBe(S.STATUS_SUCCESS)
        yield* run(200)
        expect(log).toEqual([])
      }
      expect(yield* closeObj(mr)).toBe(S.STATUS_SUCCESS)
      yield* settle(() => log.length > 0)
      expect(log).toEqual(["pd"])
    }))

  it.scoped("R24: an SRQ used by a QP pends until the QP is closed", () =>
    Effect.gen(function*() {
      const { adapter } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const srq = yield* createSrq(pd)
      const qp = yield* createQp(pd, cq, cq, { srq })
      const log: Array<unknown> = []
      expect(yield* closeObj(srq, log, "srq")).toBe(S.STATUS_PENDING)
      yield* run(300)
      expect(log).toEqual([])
      expect(yield* closeObj(qp)).toBe(S.STATUS_SUCCESS)
      yield* settle(() => log.length > 0)
      expect(log).toEqual(["srq"])
    }))

  it.scoped("R26, R27: an MR with a bound MW pends until the MW is invalidated; antecedents complete after successors' callbacks", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const mw = yield* createMw(a.pd)
      yield* a.qp.Dispatch.NdkBind(a.qp, "bind", a.buf.mr, mw, BigInt(a.buf.va), 64n, 0x8)
      const log: Array<unknown> = []
      expect(yield* closeObj(a.buf.mr, log, "mr")).toBe(S.STATUS_PENDING)
      yield* run(300)
      expect(log).toEqual([])
      yield* a.qp.Dispatch.NdkInvalidate(a.qp, "inv", mw, 0)
      yield* settle(() => log.length > 0)
      expect(log).toEqual(["mr"])
      // R27: PD close waits for a successor whose close completion is slow
      const mw2 = yield* createMw(a.pd)
      const slow = yield* registered(a.host.nic, a.pd, 4096)
      yield* a.qp.Dispatch.NdkBind(a.qp, "bind2", slow.mr, mw2, BigInt(slow.va), 64n, 0x8)
      const order: Array<string> = []
      const closeMr = Object.values(slow.mr.Dispatch)[0] as typeof slow.mr.Dispatch.NdkCloseMr
      expect(
        yield* closeMr(slow.mr, () =>
          Effect.gen(function*() {
            order.push("mr-start")
            yield* Effect.sleep("2 millis")
            order.push("mr-end")
          }), null)
      ).toBe(S.STATUS_PENDING)
      expect(yield* closeObj(a.pd, order, "pd")).toBe(S.STATUS_PENDING)
      yield* closeObj(a.qp)
      yield* closeObj(mw)
      yield* run(300)
      expect(order).toEqual([])
      yield* closeObj(mw2)
      yield* settle(() => order.includes("pd"))
      expect(order).toEqual(["mr-start", "mr-end", "pd"])
    }))

  it.scoped("R29: closing a QP with outstanding WRs queues one CANCELLED entry each before the close returns", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      for (let i = 0; i < 4; i++) yield* a.qp.Dispatch.NdkReceive(a.qp, `r${i}`, [sge(a.buf, 0, 8)], 1)
      yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)
      expect(yield* closeObj(a.qp)).toBe(S.STATUS_SUCCESS)
      const r = drain(a.cq)
      expect(r.map((x) => x.RequestContext).sort()).toEqual(["r0", "r1", "r2", "r3", "s"])
      expect(r.every((x) => x.Status === S.STATUS_CANCELLED && x.QPContext === "qp0")).toBe(true)
    }))

  it.scoped("R32: a create under a parent whose close was requested is STATUS_INVALID_DEVICE_STATE", () =>
    Effect.gen(function*() {
      const { adapter } = yield* oneHost()
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      expect(yield* closeObj(pd)).toBe(S.STATUS_PENDING)
      expect(yield* pd.Dispatch.NdkCreateMw(pd, done, null, OutParam.out())).toBe(S.STATUS_INVALID_DEVICE_STATE)
      expect(yield* closeObj(cq)).toBe(S.STATUS_PENDING)
      const pd2 = yield* createPd(adapter)
      expect(yield* pd2.Dispatch.NdkCreateQp(pd2, cq, cq, null, 8, 8, 1, 1, 0, done, null, OutParam.out())).toBe(
        S.STATUS_INVALID_DEVICE_STATE
      )
      yield* closeObj(qp)
    }))

  it.scoped("R167: closing a parent with a pending create completes the create CANCELLED first", () =>
    Effect.gen(function*() {
      const { adapter, h } = yield* oneHost()
      const pd = yield* createPd(adapter)
      yield* h.provider.setMode("pending")
      const log: Array<unknown> = []
      expect(
        yield* pd.Dispatch.NdkCreateMw(
          pd,
          (_c, s, o) => Effect.sync(() => void log.push(["create", s, o])),
          null,
          OutParam.out()
        )
      ).toBe(S.STATUS_PENDING)
      expect(yield* closeObj(pd, log, "pd")).toBe(S.STATUS_PENDING)
      yield* settle(() => log.includes("pd"))
      expect(log).toEqual([["create", S.STATUS_CANCELLED, null], "pd"])
      expect(h.nic.stats().mws).toBe(0)
    }))

  it.scoped("NIC reset: pending requests fail, every object stays closable, the adapter closes", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const srqNotes = { statuses: [] as Array<number> }
      const srq = yield* createSrq(a.pd, 8, 0, srqNotes)
      yield* a.cq.Dispatch.NdkArmCq(a.cq, ANY)
      yield* a.host.provider.reset
      yield* settle(() => a.notes.statuses.length > 0 && srqNotes.statuses.length > 0)
      expect(a.notes.statuses).toEqual([S.STATUS_INTERNAL_ERROR])
      expect(srqNotes.statuses).toEqual([S.STATUS_INTERNAL_ERROR])
      expect(yield* closeObj(srq)).toBe(S.STATUS_SUCCESS)
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)).not.toBe(S.STATUS_SUCCESS)
      const out = OutParam.out<NdkPd>()
      expect(yield* a.adapter.Dispatch.NdkCreatePd(a.adapter, done, null, out)).toBe(S.STATUS_DEVICE_REMOVED)
      for (const o of [a.qp, a.buf.mr, a.cq, a.pd]) {
        expect([S.STATUS_SUCCESS, S.STATUS_PENDING]).toContain(yield* closeObj(o))
      }
      const closing = yield* Effect.fork(a.host.provider.CloseNdkAdapter(null, a.adapter))
      yield* settle(() => closing.unsafePoll() !== null)
      yield* Fiber.join(closing)
      // the other host is unaffected
      expect(yield* closeObj(b.qp)).toBe(S.STATUS_SUCCESS)
    }))
})

describe("consumer violations reported through the kernel", () => {
  it.scoped("R31: a second close and a call after close are recorded as consumer violations", () =>
    Effect.gen(function*() {
      const events: Array<LifetimeEvent.LifetimeEvent> = []
      const { adapter, h } = yield* oneHost({ provider: { sink: (e) => void events.push(e) } })
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const buf = yield* registered(h.nic, pd, 4096)
      expect(yield* closeObj(qp)).toBe(S.STATUS_SUCCESS)
      expect(yield* closeObj(qp)).toBe(S.STATUS_SUCCESS)
      expect(yield* qp.Dispatch.NdkReceive(qp, "late", [sge(buf, 0, 8)], 1)).toBe(S.STATUS_INVALID_DEVICE_STATE)
      const violations = events.filter((e) => e.kind === "ConsumerViolation").map((e) => e.detail)
      expect(violations).toEqual([LifetimeEvent.Violation.SecondClose, LifetimeEvent.Violation.UseAfterClose])
    }))
})

describe("PASSIVE-only calls from callback context", () => {
  it.scoped("R39, R47: adapter close and query adapter info from inside a callback are reported, and nothing hangs", () =>
    Effect.gen(function*() {
      const violations: Array<string> = []
      const { hosts: [h] } = yield* hosts(1, { provider: { onViolation: (v) => void violations.push(v.rule) } })
      const adapter = yield* open(h!.provider)
      const results: Array<number> = []
      const out = OutParam.out<NdkCq>()
      yield* adapter.Dispatch.NdkCreateCq(
        adapter,
        8,
        () =>
          Effect.gen(function*() {
            const size = OutParam.inOut(0x68)
            results.push(yield* adapter.Dispatch.NdkQueryAdapterInfo(adapter, OutParam.out(), size))
            yield* h!.provider.CloseNdkAdapter(null, adapter)
            results.push(-1)
          }),
        null,
        null,
        done,
        null,
        out
      )
      const cq = out.value!
      const pd = yield* createPd(adapter)
      const qp = yield* createQp(pd, cq, cq)
      yield* cq.Dispatch.NdkArmCq(cq, ANY)
      yield* qp.Dispatch.NdkReceive(qp, "r", [], 0)
      yield* qp.Dispatch.NdkFlush(qp)
      yield* settle(() => results.length >= 2)
      expect(results).toEqual([S.STATUS_SUCCESS, -1])
      expect(violations).toEqual(["R47", "R39"])
      // outside a callback both are fine
      yield* adapter.Dispatch.NdkQueryAdapterInfo(adapter, OutParam.out(), OutParam.inOut(0x68))
      expect(violations).toEqual(["R47", "R39"])
    }))
})
