import { MAXULONG } from "@effect-ndk/ndkpi/Constants"
import type { NdkLogicalAddressMapping } from "@effect-ndk/ndkpi/LogicalAddressMapping"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkCq, NdkMr, NdkMw } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import {
  ANY,
  collect,
  createCq,
  createPd,
  createQp,
  drain,
  drainEx,
  ERRORS,
  hosts,
  type Notes,
  open,
  pair,
  registered,
  run,
  S,
  settle,
  sge,
  SOLICITED,
  yields
} from "./utils/setup.js"

/** One host, a CQ (with notes), an unconnected QP on it, a buffer. */
const single = (depth = 64, nic = {}) =>
  Effect.gen(function*() {
    const { hosts: [h] } = yield* hosts(1, { nic })
    const adapter = yield* open(h!.provider)
    const pd = yield* createPd(adapter)
    const notes: Notes = { statuses: [] }
    const cq = yield* createCq(adapter, depth, notes)
    const qp = yield* createQp(pd, cq, cq, { rq: 64 })
    const buf = yield* registered(h!.nic, pd, 8192)
    /** posts `n` receives and flushes them: `n` CANCELLED completions, in order */
    const cancelled = (n: number, tag = "r") =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          expect(yield* qp.Dispatch.NdkReceive(qp, `${tag}${i}`, [sge(buf, 0, 64)], 1)).toBe(S.STATUS_SUCCESS)
        }
        yield* qp.Dispatch.NdkFlush(qp)
      })
    return { h: h!, adapter, pd, cq, qp, buf, notes, cancelled }
  })

const arm = (cq: NdkCq, type: number) => cq.Dispatch.NdkArmCq(cq, type)

/** Polls `cq` with GetCqResultsEx until `n` results arrived: [context, status, provider error code] each. */
const errorCodes = (cq: NdkCq, n: number) =>
  Effect.gen(function*() {
    const ex: Array<NdkResultEx> = []
    yield* settle(() => {
      ex.push(...drainEx(cq))
      return ex.length >= n
    })
    return ex.map((r) => [r.RequestContext, r.Status, r.ProviderErrorCode])
  })

describe("completion queues", () => {
  it.scoped("R54: GetCqResults returns min(n, queued) oldest first, 0 when empty", () =>
    Effect.gen(function*() {
      const s = yield* single()
      const empty: Array<NdkResult> = []
      expect(yield* s.cq.Dispatch.NdkGetCqResults(s.cq, empty, 4)).toBe(0)
      yield* s.cancelled(5)
      const r: Array<NdkResult> = []
      expect(yield* s.cq.Dispatch.NdkGetCqResults(s.cq, r, 3)).toBe(3)
      expect(r.map((x) => x.RequestContext)).toEqual(["r0", "r1", "r2"])
      expect(r.every((x) => x.Status === S.STATUS_CANCELLED && x.QPContext === "qp")).toBe(true)
      const r2: Array<NdkResult> = []
      expect(yield* s.cq.Dispatch.NdkGetCqResults(s.cq, r2, 10)).toBe(2)
      expect(r2.map((x) => x.RequestContext)).toEqual(["r3", "r4"])
      expect(yield* s.cq.Dispatch.NdkGetCqResults(s.cq, [], 10)).toBe(0)
    }))

  it.scoped("R55: a CQ that was never armed raises no notification", () =>
    Effect.gen(function*() {
      const s = yield* single()
      yield* s.cancelled(10)
      yield* run(2000)
      expect(s.notes.statuses).toEqual([])
    }))

  it.scoped("R56, R57: after ArmCq(ANY) the next completion raises exactly one notification; the arm is consumed", () =>
    Effect.gen(function*() {
      const s = yield* single()
      yield* arm(s.cq, ANY)
      yield* s.cancelled(1, "a")
      yield* settle(() => s.notes.statuses.length > 0)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
      drain(s.cq)
      yield* s.cancelled(3, "b")
      yield* run(2000)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R57: arms made after an arm was satisfied but before its callback starts merge into that notification", () =>
    Effect.gen(function*() {
      const s = yield* single()
      // moderation holds the satisfied arm's notification back: decided, not started
      yield* s.cq.Dispatch.NdkControlCqInterruptModeration(s.cq, 1000, 4)
      yield* arm(s.cq, ANY)
      yield* s.cancelled(1, "a")
      yield* run(300)
      expect(s.notes.statuses).toEqual([])
      // the raise is the callback's start: these arms (any type) are consumed by the pending notification, even
      // with a new completion arriving meanwhile
      yield* arm(s.cq, ANY)
      yield* arm(s.cq, SOLICITED)
      yield* arm(s.cq, ERRORS)
      yield* s.cancelled(1, "b")
      yield* settle(() => s.notes.statuses.length > 0)
      yield* run(2000)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
      expect(drain(s.cq).map((r) => r.RequestContext)).toEqual(["a0", "b0"])
      // an arm made after the callback started is a new arm
      yield* arm(s.cq, ANY)
      yield* s.cancelled(1, "c")
      yield* settle(() => s.notes.statuses.length > 1)
      yield* run(2000)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS, S.STATUS_SUCCESS])
    }))

  it.scoped("R58, R64: arming while new completions are queued notifies at once (no lost wake-up)", () =>
    Effect.gen(function*() {
      const s = yield* single()
      expect(drain(s.cq)).toEqual([])
      yield* s.cancelled(2)
      yield* yields()
      expect(s.notes.statuses).toEqual([])
      yield* arm(s.cq, ANY)
      yield* settle(() => s.notes.statuses.length > 0)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R59: SOLICITED ignores an unsolicited receive and fires for a solicited one", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      for (let i = 0; i < 2; i++) yield* b.qp.Dispatch.NdkReceive(b.qp, `r${i}`, [sge(b.buf, 0, 64)], 1)
      yield* arm(b.cq, SOLICITED)
      yield* a.qp.Dispatch.NdkSend(a.qp, "plain", [sge(a.buf, 0, 8)], 1, 0)
      yield* collect(b.cq, 1)
      yield* run(500)
      expect(b.notes.statuses).toEqual([])
      yield* a.qp.Dispatch.NdkSend(a.qp, "sol", [sge(a.buf, 0, 8)], 1, 0x4)
      yield* settle(() => b.notes.statuses.length > 0)
      expect(b.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R60: SOLICITED is satisfied by an error completion", () =>
    Effect.gen(function*() {
      const s = yield* single()
      yield* arm(s.cq, SOLICITED)
      yield* s.cancelled(1)
      yield* settle(() => s.notes.statuses.length > 0)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R61, R65: ERRORS ignores completions and reports an overrun once; polls then return 0, posts fail", () =>
    Effect.gen(function*() {
      const s = yield* single(4)
      yield* arm(s.cq, ERRORS)
      yield* s.cancelled(2)
      yield* run(500)
      expect(s.notes.statuses).toEqual([])
      drain(s.cq)
      // 5 receives into a 4-deep CQ: overrun
      const qp2 = yield* createQp(s.pd, s.cq, s.cq, { rq: 8 })
      for (let i = 0; i < 5; i++) yield* qp2.Dispatch.NdkReceive(qp2, i, [sge(s.buf, 0, 8)], 1)
      yield* qp2.Dispatch.NdkFlush(qp2)
      yield* settle(() => s.notes.statuses.length > 0)
      yield* run(500)
      expect(s.notes.statuses).toEqual([S.STATUS_BUFFER_OVERFLOW])
      yield* arm(s.cq, ANY)
      yield* run(500)
      expect(s.notes.statuses).toEqual([S.STATUS_BUFFER_OVERFLOW])
      expect(drain(s.cq)).toEqual([])
      expect(yield* s.qp.Dispatch.NdkReceive(s.qp, "x", [sge(s.buf, 0, 8)], 1)).toBe(S.STATUS_INVALID_DEVICE_STATE)
    }))

  it.scoped("R65: an overrun with no arm outstanding is reported at the next arm of any type", () =>
    Effect.gen(function*() {
      const s = yield* single(2)
      yield* s.cancelled(3)
      yield* run(500)
      expect(s.notes.statuses).toEqual([])
      yield* arm(s.cq, ERRORS)
      yield* settle(() => s.notes.statuses.length > 0)
      yield* arm(s.cq, ANY)
      yield* run(500)
      expect(s.notes.statuses).toEqual([S.STATUS_BUFFER_OVERFLOW])
    }))

  it.scoped("R66: a NIC failure reports STATUS_INTERNAL_ERROR once; attached QPs become unusable", () =>
    Effect.gen(function*() {
      const s = yield* single()
      yield* arm(s.cq, ERRORS)
      yield* s.h.provider.reset
      yield* settle(() => s.notes.statuses.length > 0)
      yield* arm(s.cq, ANY)
      yield* run(500)
      expect(s.notes.statuses).toEqual([S.STATUS_INTERNAL_ERROR])
      expect(yield* s.qp.Dispatch.NdkReceive(s.qp, "x", [sge(s.buf, 0, 8)], 1)).not.toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R62: a second arm yields the combined type (all 9 combinations)", () =>
    Effect.gen(function*() {
      const types = [ANY, ERRORS, SOLICITED]
      const expected = (x: number, y: number) =>
        x === ANY || y === ANY ? ANY : x === SOLICITED || y === SOLICITED ? SOLICITED : ERRORS
      const { a, b } = yield* pair()
      for (const first of types) {
        for (const second of types) {
          // successful unsolicited receive: fires only for ANY
          drain(b.cq)
          b.notes.statuses.length = 0
          yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 0, 64)], 1)
          yield* arm(b.cq, first)
          yield* arm(b.cq, second)
          yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)
          yield* collect(a.cq, 1)
          yield* run(300)
          const fired = b.notes.statuses.length
          // a solicited receive: fires for ANY (already consumed above) or SOLICITED
          b.notes.statuses.length = 0
          drain(b.cq)
          yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 0, 64)], 1)
          if (fired === 0) {
            yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0x4)
            yield* collect(a.cq, 1)
            yield* run(300)
          }
          const solFired = b.notes.statuses.length
          const combined = expected(first, second)
          expect([first, second, fired]).toEqual([first, second, combined === ANY ? 1 : 0])
          if (combined !== ANY) {
            expect([first, second, solFired]).toEqual([first, second, combined === SOLICITED ? 1 : 0])
          }
          if (combined === ANY) {
            yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)
            yield* collect(a.cq, 1)
          }
          // leave no arm behind (ERRORS stays armed: harmless for the next round's ANY/SOLICITED checks)
          yield* run(300)
          drain(b.cq)
        }
      }
    }))

  it.scoped("R63: notifications of one CQ never overlap; a re-arm inside the callback fires after it returns", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const adapter = yield* open(h!.provider)
      const pd = yield* createPd(adapter)
      let running = 0
      let maxRunning = 0
      let calls = 0
      const out = OutParam.out<NdkCq>()
      const cqRef: { cq?: NdkCq } = {}
      yield* adapter.Dispatch.NdkCreateCq(
        adapter,
        64,
        () =>
          Effect.gen(function*() {
            running++
            calls++
            maxRunning = Math.max(maxRunning, running)
            const cq = cqRef.cq!
            // re-arm without draining everything: completions are waiting
            drain(cq)
            if (calls < 3) {
              yield* cq.Dispatch.NdkArmCq(cq, ANY)
              yield* qpRef.post
            }
            yield* Effect.sleep("1 millis")
            running--
          }),
        null,
        null,
        () => Effect.void,
        null,
        out
      )
      cqRef.cq = out.value!
      const cq = out.value!
      const qp = yield* createQp(pd, cq, cq, { rq: 64 })
      const buf = yield* registered(h!.nic, pd, 4096)
      const qpRef = {
        post: Effect.gen(function*() {
          yield* qp.Dispatch.NdkReceive(qp, "r", [sge(buf, 0, 8)], 1)
          yield* qp.Dispatch.NdkFlush(qp)
        })
      }
      yield* arm(cq, ANY)
      yield* qpRef.post
      yield* settle(() => calls >= 3 && running === 0)
      expect(calls).toBe(3)
      expect(maxRunning).toBe(1)
    }))

  it.scoped("R67, R68, R69: resize limits, support flag, below queued, and no lost completions", () =>
    Effect.gen(function*() {
      const s = yield* single(8)
      const done = () => Effect.void
      expect(yield* s.cq.Dispatch.NdkResizeCq(s.cq, s.h.nic.info.maxCqDepth + 1, done, null)).toBe(
        S.STATUS_INVALID_PARAMETER
      )
      yield* s.cancelled(5)
      expect(yield* s.cq.Dispatch.NdkResizeCq(s.cq, 3, done, null)).toBe(S.STATUS_BUFFER_OVERFLOW)
      expect(yield* s.cq.Dispatch.NdkResizeCq(s.cq, 32, done, null)).toBe(S.STATUS_SUCCESS)
      expect(drain(s.cq).map((r) => r.RequestContext)).toEqual(["r0", "r1", "r2", "r3", "r4"])
      const t = yield* single(8, { cqResize: false })
      expect(yield* t.cq.Dispatch.NdkResizeCq(t.cq, 16, done, null)).toBe(S.STATUS_NOT_SUPPORTED)
    }))

  it.scoped("R70, R71, R72: interrupt moderation never pends; NOT_SUPPORTED iff flag 0x4 is off; MAXULONG mixes", () =>
    Effect.gen(function*() {
      const s = yield* single(8)
      const m = (i: number, c: number) => s.cq.Dispatch.NdkControlCqInterruptModeration(s.cq, i, c)
      expect(yield* m(0, 0)).toBe(S.STATUS_SUCCESS)
      expect(yield* m(100, 4)).toBe(S.STATUS_SUCCESS)
      expect(yield* m(MAXULONG, MAXULONG)).toBe(S.STATUS_INVALID_PARAMETER_MIX)
      expect(yield* m(MAXULONG, 9)).toBe(S.STATUS_INVALID_PARAMETER_MIX)
      expect(yield* m(MAXULONG, 8)).toBe(S.STATUS_SUCCESS)
      const { hosts: [g] } = yield* hosts(1, { provider: { interruptModeration: false } })
      const a2 = yield* open(g!.provider)
      const cq2 = yield* createCq(a2)
      expect(yield* cq2.Dispatch.NdkControlCqInterruptModeration(cq2, 10, 2)).toBe(S.STATUS_NOT_SUPPORTED)
    }))

  it.scoped("R70: moderation by count: the notification comes once ModerationCount completions are queued", () =>
    Effect.gen(function*() {
      const s = yield* single()
      yield* s.cq.Dispatch.NdkControlCqInterruptModeration(s.cq, 100_000, 3)
      yield* arm(s.cq, ANY)
      yield* s.cancelled(1, "a")
      yield* run(2000)
      expect(s.notes.statuses).toEqual([])
      yield* s.cancelled(2, "b")
      yield* run(200)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R70: a moderated notification is delayed but still delivered", () =>
    Effect.gen(function*() {
      const s = yield* single()
      yield* s.cq.Dispatch.NdkControlCqInterruptModeration(s.cq, 5000, 4)
      yield* arm(s.cq, ANY)
      yield* s.cancelled(1)
      yield* run(1000)
      expect(s.notes.statuses).toEqual([])
      yield* settle(() => s.notes.statuses.length > 0)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R73: GetCqResultsEx reports the operation type of every WR kind", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const fr = OutParam.out<NdkMr>()
      yield* a.pd.Dispatch.NdkCreateMr(a.pd, true, () => Effect.void, null, fr)
      yield* fr.value!.Dispatch.NdkInitializeFastRegisterMr(fr.value!, 4, true, () => Effect.void, null)
      const mwOut = OutParam.out<NdkMw>()
      yield* a.pd.Dispatch.NdkCreateMw(a.pd, () => Effect.void, null, mwOut)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "recv", [sge(b.buf, 0, 64)], 1)
      const q = a.qp.Dispatch
      expect(yield* q.NdkSend(a.qp, "send", [sge(a.buf, 0, 8)], 1, 0)).toBe(0)
      expect(yield* q.NdkRead(a.qp, "read", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0)).toBe(0)
      expect(yield* q.NdkWrite(a.qp, "write", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0)).toBe(0)
      expect(yield* q.NdkBind(a.qp, "bind", a.buf.mr, mwOut.value!, BigInt(a.buf.va), 64n, 0x8)).toBe(0)
      expect(yield* q.NdkInvalidate(a.qp, "inv", mwOut.value!, 0)).toBe(0)
      expect((yield* collect(a.cq, 5)).map((r) => r.Status)).toEqual([0, 0, 0, 0, 0])
      yield* run(500)
      const rb = drainEx(b.cq)
      expect(rb.map((r) => r.Type)).toEqual([1])
      // the Ex view of a's completions (collected plain above): run again with Ex on a fresh set
      yield* b.qp.Dispatch.NdkReceive(b.qp, "recv", [sge(b.buf, 0, 64)], 1)
      expect(yield* q.NdkSend(a.qp, "send", [sge(a.buf, 0, 8)], 1, 0)).toBe(0)
      expect(yield* q.NdkRead(a.qp, "read", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0)).toBe(0)
      expect(yield* q.NdkWrite(a.qp, "write", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0)).toBe(0)
      expect(yield* q.NdkBind(a.qp, "bind", a.buf.mr, mwOut.value!, BigInt(a.buf.va), 64n, 0x8)).toBe(0)
      expect(yield* q.NdkInvalidate(a.qp, "inv", mwOut.value!, 0)).toBe(0)
      const ex: Array<NdkResultEx> = []
      yield* settle(() => {
        ex.push(...drainEx(a.cq))
        return ex.length >= 5
      })
      expect(ex.map((r) => [r.RequestContext, r.Type, r.Status])).toEqual([
        ["send", 2, 0],
        ["read", 32, 0],
        ["write", 64, 0],
        ["bind", 8, 0],
        ["inv", 16, 0]
      ])
      expect(ex.every((r) => r.ProviderErrorCode === 0)).toBe(true)
    }))

  it.scoped("R73: fast-register completions have Type 4 (via a LAM page list)", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const fr = OutParam.out<NdkMr>()
      yield* a.pd.Dispatch.NdkCreateMr(a.pd, true, () => Effect.void, null, fr)
      const mr = fr.value!
      expect(yield* mr.Dispatch.NdkInitializeFastRegisterMr(mr, 4, true, () => Effect.void, null)).toBe(0)
      const va = a.host.nic.memory.alloc(8192, 4096)
      const lam = OutParam.out<NdkLogicalAddressMapping>()
      const size = OutParam.inOut(1024)
      const fbo = OutParam.out<number>()
      expect(
        yield* a.adapter.Dispatch.NdkBuildLAM(
          a.adapter,
          { virtualAddress: BigInt(va), byteCount: 8192 },
          8192n,
          null,
          null,
          lam,
          size,
          fbo
        )
      ).toBe(0)
      expect(
        yield* a.qp.Dispatch.NdkFastRegister(a.qp, "fr", mr, 2, lam.value!.AdapterPageArray, 0, 8192n, 0x10000n, 0x10)
      ).toBe(0)
      const ex: Array<NdkResultEx> = []
      yield* settle(() => {
        ex.push(...drainEx(a.cq))
        return ex.length >= 1
      })
      expect(ex.map((r) => [r.Type, r.Status])).toEqual([[4, 0]])
    }))

  it.scoped("R163, §4.7: at 2.1 a failed completion carries the NIC's code as ProviderErrorCode (README table)", () =>
    Effect.gen(function*() {
      // a read beyond the remote region: REMOTE_RANGE_ERROR (45); the QP is then in error: a later WR FLUSHED (43)
      const p1 = yield* pair()
      const end = BigInt(p1.b.buf.va + p1.b.buf.size - 4)
      yield* p1.a.qp.Dispatch.NdkRead(p1.a.qp, "range", [sge(p1.a.buf, 0, 64)], 1, end, p1.b.buf.remote, 0)
      expect(yield* errorCodes(p1.a.cq, 1)).toEqual([["range", S.STATUS_REMOTE_RESOURCES, 45]])
      yield* p1.a.qp.Dispatch.NdkSend(p1.a.qp, "after", [sge(p1.a.buf, 0, 8)], 1, 0)
      expect(yield* errorCodes(p1.a.cq, 1)).toEqual([["after", S.STATUS_CANCELLED, 43]])
      // a send through a bad local token: LOCAL_PROTECTION_ERROR (40)
      const p2 = yield* pair()
      const badLocal = Sge.make(BigInt(p2.a.buf.va), 8, p2.a.buf.token ^ 0x5a5a00)
      yield* p2.a.qp.Dispatch.NdkSend(p2.a.qp, "local", [badLocal], 1, 0)
      expect(yield* errorCodes(p2.a.cq, 1)).toEqual([["local", S.STATUS_ACCESS_VIOLATION, 40]])
      // a write through a bad remote token: REMOTE_ACCESS_ERROR (44); the target's receive is FLUSHED (43)
      const { a, b } = yield* pair()
      yield* b.qp.Dispatch.NdkReceive(b.qp, "posted", [sge(b.buf, 0, 8)], 1)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "remote", [sge(a.buf, 0, 4)], 1, BigInt(b.buf.va), b.buf.remote ^ 0x5a5a00, 0)
      expect(yield* errorCodes(a.cq, 1)).toEqual([["remote", S.STATUS_ACCESS_VIOLATION, 44]])
      expect(yield* errorCodes(b.cq, 1)).toEqual([["posted", S.STATUS_CANCELLED, 43]])
    }))

  it.scoped("R163, §4.7: below 2.1 (no ProviderErrorCode field) a failed completion reports 0", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { provider: { version: NdkVersion.V1_2 } })
      const adapter = yield* open(h!.provider, NdkVersion.V1_2)
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const buf = yield* registered(h!.nic, pd, 4096)
      yield* qp.Dispatch.NdkReceive(qp, "r", [Sge.make(BigInt(buf.va), 8, buf.token)], 1)
      yield* qp.Dispatch.NdkFlush(qp)
      expect(yield* errorCodes(cq, 1)).toEqual([["r", S.STATUS_CANCELLED, 0]])
    }))

  it.scoped("GetCqResultsEx is refused (0 results) at 1.1; results stay for the plain poll", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { provider: { version: NdkVersion.V1_1 } })
      const adapter = yield* open(h!.provider, NdkVersion.V1_1)
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const buf = yield* registered(h!.nic, pd, 4096)
      yield* qp.Dispatch.NdkReceive(qp, "r", [Sge.make(BigInt(buf.va), 8, buf.token)], 1)
      yield* qp.Dispatch.NdkFlush(qp)
      expect(yield* cq.Dispatch.NdkGetCqResultsEx(cq, [], 4)).toBe(0)
      expect(drain(cq).length).toBe(1)
    }))
})
