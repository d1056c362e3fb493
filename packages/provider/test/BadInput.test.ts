import type { NdkObject } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import { createMw, createSrq, pair, run, S } from "./utils/setup.js"

const garbage = FastCheck.oneof(
  FastCheck.constant(null),
  FastCheck.constant(undefined),
  FastCheck.constant(-1),
  FastCheck.constant(Number.NaN),
  FastCheck.constant(0),
  FastCheck.constant(0xFFFFFFFF),
  FastCheck.constant(2 ** 40),
  FastCheck.constant({}),
  FastCheck.constant([]),
  FastCheck.constant("x"),
  FastCheck.constant(-5n),
  FastCheck.constant([{ VirtualAddress: 1n, Length: -3, MemoryRegionToken: 0 }]),
  FastCheck.constant({ virtualAddress: 0n, byteCount: -1 }),
  FastCheck.constant({ value: -1 }),
  FastCheck.constant({ Header: {}, Dispatch: {} })
)

describe("bad input", () => {
  it.scoped("every dispatch function answers garbage arguments with a value: no throw, no defect, no hang", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const srq = yield* createSrq(a.pd)
      const mw = yield* createMw(a.pd)
      const objects: Array<NdkObject> = [a.adapter, a.pd, a.cq, a.qp, a.buf.mr, mw, srq]
      const calls: Array<[string, (...args: Array<unknown>) => Effect.Effect<unknown>]> = []
      for (const o of objects) {
        for (const [name, fn] of Object.entries(o.Dispatch as object)) {
          // closing is not bad input; each close is exercised elsewhere
          if (name.startsWith("NdkClose")) continue
          calls.push([name, fn as (...args: Array<unknown>) => Effect.Effect<unknown>])
        }
      }
      const samples = FastCheck.sample(
        FastCheck.tuple(
          FastCheck.integer({ min: 0, max: calls.length - 1 }),
          FastCheck.boolean(),
          FastCheck.array(garbage, { minLength: 12, maxLength: 12 })
        ),
        { numRuns: 1500, seed: 42 }
      )
      for (const [i, realObject, args] of samples) {
        const [name, fn] = calls[i]!
        const target = realObject ? objects.find((o) => name in (o.Dispatch as object)) : args[0]
        let exit: Exit.Exit<unknown, unknown>
        try {
          exit = yield* Effect.exit(fn(target, ...args.slice(1)))
        } catch (e) {
          expect.fail(`${name} threw ${String(e)}`)
          return
        }
        expect([name, Exit.isSuccess(exit)]).toEqual([name, true])
        if (Exit.isSuccess(exit) && typeof exit.value === "number" && !realObject) {
          // a garbage handle never pends
          expect([name, exit.value]).not.toEqual([name, S.STATUS_PENDING])
        }
      }
      yield* run(1000)
    }))
})
