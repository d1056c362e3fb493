import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkSrq } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import {
  closeObj,
  collect,
  connect,
  createCq,
  createPd,
  createQp,
  createSrq,
  hosts,
  type Notes,
  open,
  registered,
  run,
  S,
  settle,
  sge
} from "./utils/setup.js"

const done = () => Effect.void

/** Host b: one SRQ shared by two QPs (contexts "b0", "b1"), each connected to a QP on host a. */
const shared = (threshold = 0, nic = {}) =>
  Effect.gen(function*() {
    const { hosts: [ha, hb] } = yield* hosts(2, { nic })
    const aa = yield* open(ha!.provider)
    const ab = yield* open(hb!.provider)
    const pa = yield* createPd(aa)
    const pb = yield* createPd(ab)
    const ca = yield* createCq(aa, 128)
    const cb = yield* createCq(ab, 128)
    const notes: Notes = { statuses: [] }
    const srq = yield* createSrq(pb, 16, threshold, notes)
    const qa = [yield* createQp(pa, ca, ca, { context: "a0" }), yield* createQp(pa, ca, ca, { context: "a1" })]
    const qb = [
      yield* createQp(pb, cb, cb, { srq, context: "b0" }),
      yield* createQp(pb, cb, cb, { srq, context: "b1" })
    ]
    for (let i = 0; i < 2; i++) yield* connect(qa[i]!, ha!.address, qb[i]!, hb!.address)
    const bufA = yield* registered(ha!.nic, pa, 8192)
    const bufB = yield* registered(hb!.nic, pb, 8192)
    const post = (n: number, tag = "r") =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          expect(yield* srq.Dispatch.NdkSrqReceive(srq, `${tag}${i}`, [sge(bufB, i * 64, 64)], 1)).toBe(0)
        }
      })
    const send = (i: number, ctx: string) => qa[i]!.Dispatch.NdkSend(qa[i]!, ctx, [sge(bufA, 0, 8)], 1, 0)
    return { ha: ha!, hb: hb!, pb, srq, qa, qb, ca, cb, bufA, bufB, notes, post, send }
  })

describe("shared receive queues", () => {
  it.scoped("R104: a send on any QP of the SRQ takes the oldest SRQ receive and completes with that QP's context", () =>
    Effect.gen(function*() {
      const s = yield* shared()
      yield* s.post(3)
      yield* s.send(1, "x")
      const r1 = yield* collect(s.cb, 1)
      yield* s.send(0, "y")
      const r2 = yield* collect(s.cb, 1)
      expect([...r1, ...r2].map((r) => [r.RequestContext, r.QPContext])).toEqual([["r0", "b1"], ["r1", "b0"]])
    }))

  it.scoped("R105: the notification fires once below the threshold and not again until re-armed", () =>
    Effect.gen(function*() {
      const s = yield* shared(3)
      yield* s.post(4)
      yield* s.send(0, "1")
      yield* collect(s.cb, 1)
      yield* run(300)
      expect(s.notes.statuses).toEqual([])
      yield* s.send(0, "2")
      yield* collect(s.cb, 1)
      yield* settle(() => s.notes.statuses.length > 0)
      yield* s.send(1, "3")
      yield* collect(s.cb, 1)
      yield* run(300)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
      yield* s.post(4, "more")
      expect(yield* s.srq.Dispatch.NdkModifySrq(s.srq, 0, 3, done, null)).toBe(0)
      yield* s.send(1, "4")
      yield* s.send(1, "5")
      yield* s.send(1, "6")
      yield* collect(s.cb, 3)
      yield* settle(() => s.notes.statuses.length > 1)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS, S.STATUS_SUCCESS])
    }))

  it.scoped("R106: re-arming with a threshold above the queued count notifies at once", () =>
    Effect.gen(function*() {
      const s = yield* shared()
      yield* s.post(2)
      expect(yield* s.srq.Dispatch.NdkModifySrq(s.srq, 0, 5, done, null)).toBe(0)
      yield* settle(() => s.notes.statuses.length > 0)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
    }))

  it.scoped("R107: NdkModifySrq(0, 0) keeps depth, threshold and arm state", () =>
    Effect.gen(function*() {
      const s = yield* shared(2)
      yield* s.post(3)
      expect(yield* s.srq.Dispatch.NdkModifySrq(s.srq, 0, 0, done, null)).toBe(0)
      yield* run(300)
      expect(s.notes.statuses).toEqual([])
      // still armed at 2: consuming two receives (3 → 1) fires
      yield* s.send(0, "1")
      yield* s.send(0, "2")
      yield* collect(s.cb, 2)
      yield* settle(() => s.notes.statuses.length > 0)
      expect(s.notes.statuses).toEqual([S.STATUS_SUCCESS])
      // depth still 16: 16 more posts fit (1 queued + 15), the 17th does not
      yield* s.post(15, "f")
      expect(yield* s.srq.Dispatch.NdkSrqReceive(s.srq, "over", [sge(s.bufB, 0, 8)], 1)).toBe(
        S.STATUS_NO_MORE_ENTRIES
      )
    }))

  it.scoped("R108, R52: depth and SGE limits; no SRQ support is STATUS_NOT_SUPPORTED", () =>
    Effect.gen(function*() {
      const s = yield* shared()
      const max = s.hb.nic.info.maxSrqDepth
      expect(yield* s.srq.Dispatch.NdkModifySrq(s.srq, max + 1, 0, done, null)).toBe(S.STATUS_INVALID_PARAMETER)
      const mk = (depth: number, sges: number) =>
        s.pb.Dispatch.NdkCreateSrq(s.pb, depth, sges, 0, null, null, null, done, null, OutParam.out<NdkSrq>())
      expect(yield* mk(max + 1, 1)).toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* mk(8, s.hb.nic.info.maxRecvSge + 1)).toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* mk(8, 1)).toBe(S.STATUS_SUCCESS)
      const { hosts: [h] } = yield* hosts(1, { nic: { maxSrqDepth: 0 } })
      const ad = yield* open(h!.provider)
      const pd = yield* createPd(ad)
      expect(
        yield* pd.Dispatch.NdkCreateSrq(pd, 8, 1, 0, null, null, null, done, null, OutParam.out<NdkSrq>())
      ).toBe(S.STATUS_NOT_SUPPORTED)
    }))

  it.scoped("R109: an SRQ without a notification callback never calls back (threshold crossings are silent)", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const ad = yield* open(h!.provider)
      const pd = yield* createPd(ad)
      const out = OutParam.out<NdkSrq>()
      expect(yield* pd.Dispatch.NdkCreateSrq(pd, 8, 1, 4, null, "ctx", null, done, null, out)).toBe(0)
      const srq = out.value!
      const log: Array<unknown> = []
      expect(yield* srq.Dispatch.NdkModifySrq(srq, 0, 8, () => Effect.sync(() => log.push("modify")), null)).toBe(0)
      yield* run(300)
      expect(log).toEqual([])
      expect(yield* closeObj(srq, log)).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("NdkReceive on a QP with an SRQ is STATUS_INVALID_DEVICE_REQUEST; too many SGEs on SrqReceive fail inline", () =>
    Effect.gen(function*() {
      const s = yield* shared()
      expect(yield* s.qb[0]!.Dispatch.NdkReceive(s.qb[0]!, "x", [sge(s.bufB, 0, 8)], 1)).toBe(
        S.STATUS_INVALID_DEVICE_REQUEST
      )
      const five = [0, 1, 2, 3, 4].map((i) => sge(s.bufB, i, 1))
      expect(yield* s.srq.Dispatch.NdkSrqReceive(s.srq, "x", five, 5)).toBe(S.STATUS_DATA_OVERRUN)
    }))
})
