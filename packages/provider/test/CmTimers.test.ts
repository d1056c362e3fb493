import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
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
})
