import type { NdkObject } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import {
  createCq,
  createMw,
  createPd,
  createQp,
  createSrq,
  hosts,
  open,
  registered,
  run,
  S,
  settle,
  sge
} from "./utils/setup.js"

/**
 * Random object graphs closed in random orders (with outstanding WRs, bound windows, armed CQs, and in random
 * completion modes): every PENDING close gets exactly one completion with its context, a SUCCESS close none,
 * nothing is left in the NIC, and the adapter close returns.
 */
describe("close orders", () => {
  it.scoped("R12, R13, R14, R22, R23, R24, R29: random graphs, random close orders, nothing leaked", () =>
    Effect.gen(function*() {
      const cases = FastCheck.sample(
        FastCheck.record({
          qps: FastCheck.integer({ min: 0, max: 3 }),
          mws: FastCheck.integer({ min: 0, max: 2 }),
          srq: FastCheck.boolean(),
          recvs: FastCheck.integer({ min: 0, max: 4 }),
          arm: FastCheck.boolean(),
          mode: FastCheck.constantFrom("inline" as const, "pending" as const),
          order: FastCheck.array(FastCheck.nat(), { minLength: 16, maxLength: 16 })
        }),
        { numRuns: 25, seed: 7 }
      )
      for (const c of cases) {
        const { hosts: [h] } = yield* hosts(1)
        const adapter = yield* open(h!.provider)
        const pd = yield* createPd(adapter)
        const cq = yield* createCq(adapter, 256)
        const buf = yield* registered(h!.nic, pd, 8192)
        const objects: Array<NdkObject> = [pd, cq, buf.mr]
        const srq = c.srq ? yield* createSrq(pd) : undefined
        if (srq !== undefined) objects.push(srq)
        const qps = []
        for (let i = 0; i < c.qps; i++) {
          const qp = yield* createQp(pd, cq, cq, i === 0 && srq !== undefined ? { srq } : {})
          qps.push(qp)
          objects.push(qp)
          if (i !== 0 || srq === undefined) {
            for (let r = 0; r < c.recvs; r++) yield* qp.Dispatch.NdkReceive(qp, `r${r}`, [sge(buf, 0, 8)], 1)
          }
        }
        for (let i = 0; i < c.mws; i++) objects.push(yield* createMw(pd))
        if (c.arm) yield* cq.Dispatch.NdkArmCq(cq, 1)
        yield* h!.provider.setMode(c.mode)
        // close in a random order
        const order = objects.map((o, i) => ({ o, k: c.order[i] ?? i })).sort((x, y) => x.k - y.k).map((x) => x.o)
        const completions = new Map<unknown, number>()
        const statuses = new Map<unknown, number>()
        for (const [i, o] of order.entries()) {
          const ctx = { i }
          const close = Object.values(o.Dispatch as object)[0] as (
            o: NdkObject,
            cb: (ctx: unknown) => Effect.Effect<void>,
            ctx: unknown
          ) => Effect.Effect<number>
          const st = yield* close(
            o,
            (x) => Effect.sync(() => void completions.set(x, (completions.get(x) ?? 0) + 1)),
            ctx
          )
          expect([S.STATUS_SUCCESS, S.STATUS_PENDING]).toContain(st)
          statuses.set(ctx, st)
          yield* run(100)
        }
        const closing = yield* Effect.fork(h!.provider.CloseNdkAdapter(null, adapter))
        yield* settle(() => closing.unsafePoll() !== null, 400)
        yield* Fiber.join(closing)
        for (const [ctx, st] of statuses) {
          expect([st, completions.get(ctx) ?? 0]).toEqual([st, st === S.STATUS_PENDING ? 1 : 0])
        }
        expect(h!.nic.stats()).toEqual(expect.objectContaining({ pds: 0, mrs: 0, mws: 0, qps: 0, cqs: 0, srqs: 0 }))
      }
    }))
})
