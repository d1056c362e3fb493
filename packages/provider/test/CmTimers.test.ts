import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Runtime from "effect/Runtime"
import * as TestClock from "effect/TestClock"
import { TimerHeap } from "../src/internal/cm.js"

describe("connection manager timers", () => {
  it.effect("found by the simulator: a deadline the clock reaches a hair early still fires (no zero-sleep loop)", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const clock = yield* Effect.clock
      let sleepers = 0
      // the heap forks one sleeper per deadline it waits for; a runaway re-sleep is cut off after 100
      const runFork = <A, E>(effect: Effect.Effect<A, E>) =>
        Runtime.runFork(runtime)(++sleepers > 100 ? Effect.never : effect)
      const timers = new TimerHeap(clock, runFork)
      // fractional times (the NIC's microseconds): the sleep for the second deadline starts when the first fires,
      // and its duration, rounded to whole nanoseconds, ends 7e-15 ms before the deadline
      yield* TestClock.setTime(0.004004)
      const fired: Array<string> = []
      timers.add(0.068004, () => fired.push("first"))
      timers.add(50, () => fired.push("second"))
      yield* TestClock.adjust("60 millis")
      assert.deepStrictEqual(fired, ["first", "second"])
      assert.isBelow(sleepers, 5)
    }))
  it.effect("at most one sleeper is alive; cancelled deadlines get none; the rest fire in deadline order", () =>
    Effect.gen(function*() {
      const runtime = yield* Effect.runtime<never>()
      const clock = yield* Effect.clock
      const forked: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
      const timers = new TimerHeap(clock, (effect) => {
        const f = Runtime.runFork(runtime)(effect)
        forked.push(f)
        return f
      })
      const alive = () => forked.filter((f) => f.unsafePoll() === null).length
      const fired: Array<number> = []
      let maxAlive = 0
      // a long timeout, then shorter and shorter ones (each replaces the sleeper), half of them cancelled at once
      for (let k = 0; k < 8; k++) {
        const ms = 30_000 >> (2 * k)
        const t = timers.add(ms, () => fired.push(ms))
        if (k % 2 === 1) t.cancel()
        // (a replaced sleeper ends once it has run its interruption)
        for (let y = 0; y < 3; y++) yield* Effect.yieldNow()
        maxAlive = Math.max(maxAlive, alive())
      }
      for (let step = 0; step < 40; step++) {
        yield* TestClock.adjust("1 seconds")
        maxAlive = Math.max(maxAlive, alive())
      }
      assert.deepStrictEqual(fired, [7, 117, 1875, 30_000])
      assert.strictEqual(maxAlive, 1)
      // everything fired or was cancelled: no sleeper is left waiting
      assert.strictEqual(alive(), 0)
    }))
})
