import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as SimulatedHosts from "../src/SimulatedHosts.js"
import { connect, createCq, createPd, createQp, drain, hosts, open, registered, S, settle, sge } from "./utils/setup.js"

/** Two hosts with 1 ms one-way latency; a QP pair connected with the given IRD/ORD; runs 4 reads to completion. */
const readTimes = (ord: number) =>
  Effect.gen(function*() {
    const { hosts: [ha, hb] } = yield* hosts(2, { fabric: { latencyUs: 1000 } })
    const sides = []
    for (const h of [ha!, hb!]) {
      const adapter = yield* open(h.provider)
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const buf = yield* registered(h.nic, pd, 8192)
      sides.push({ cq, qp, buf })
    }
    const [a, b] = sides
    yield* connect(a!.qp, ha!.address, b!.qp, hb!.address, ord, ord)
    for (let i = 0; i < 4; i++) {
      expect(yield* a!.qp.Dispatch.NdkRead(a!.qp, i, [sge(a!.buf, i * 8, 8)], 1, BigInt(b!.buf.va), b!.buf.remote, 0))
        .toBe(S.STATUS_SUCCESS)
    }
    let done = 0
    yield* settle(
      () => {
        for (const r of drain(a!.cq)) {
          expect(r.Status).toBe(S.STATUS_SUCCESS)
          done++
        }
        return done >= 4
      },
      4000,
      100
    )
    return done
  })

describe("limits", () => {
  it.scoped("R102: with ORD 1 reads run one at a time; with ORD 4 they overlap", () =>
    Effect.gen(function*() {
      const elapsed = (ord: number) =>
        Effect.gen(function*() {
          const t0 = yield* Clock.currentTimeMillis
          expect(yield* readTimes(ord)).toBe(4)
          return (yield* Clock.currentTimeMillis) - t0
        })
      const serial = yield* elapsed(1)
      const parallel = yield* elapsed(4)
      expect(serial).toBeGreaterThanOrEqual(4 * 2)
      expect(parallel).toBeLessThan(serial / 2)
    }))
})

describe("simulated hosts", () => {
  it.scoped("the faulty variant (seeded loss, duplication, reordering) still delivers every send intact", () =>
    Effect.gen(function*() {
      const { hosts: hs } = yield* SimulatedHosts.makeFaulty({ count: 2, seed: 7, loss: 0.05, createFailure: 0 })
      const sides = []
      for (const h of hs) {
        const adapter = yield* open(h.provider)
        const pd = yield* createPd(adapter)
        const cq = yield* createCq(adapter)
        const qp = yield* createQp(pd, cq, cq)
        const buf = yield* registered(h.nic, pd, 65536)
        sides.push({ h, cq, qp, buf })
      }
      const [a, b] = sides
      yield* connect(a!.qp, a!.h.address, b!.qp, b!.h.address)
      const payload = Uint8Array.from({ length: 20000 }, (_, i) => (i * 7) & 0xff)
      a!.h.nic.memory.write(a!.buf.va, payload)
      yield* b!.qp.Dispatch.NdkReceive(b!.qp, "r", [sge(b!.buf, 0, 30000)], 1)
      yield* a!.qp.Dispatch.NdkSend(a!.qp, "s", [sge(a!.buf, 0, payload.length)], 1, 0)
      const got: Array<number> = []
      yield* settle(
        () => {
          for (const r of drain(b!.cq)) got.push(r.Status, r.BytesTransferred)
          return got.length > 0
        },
        4000,
        100
      )
      expect(got).toEqual([S.STATUS_SUCCESS, payload.length])
      expect(b!.h.nic.memory.read(b!.buf.va, payload.length)).toEqual(payload)
    }))
})
