/**
 * Test wiring: N simulated hosts (provider package, dev-only) with one `Ndk` per host.
 */
import * as SimulatedHosts from "@effect-ndk/provider/SimulatedHosts"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as Ndk from "../../src/Ndk.js"

export interface TestHost {
  readonly host: SimulatedHosts.Host
  readonly ndk: Ndk.NdkService
}

export const hosts = (
  count: number,
  options: Omit<SimulatedHosts.Options, "count"> = {}
): Effect.Effect<ReadonlyArray<TestHost>, never, Scope.Scope> =>
  Effect.map(
    Effect.orDie(SimulatedHosts.make({ count, ...options })),
    (h) => h.hosts.map((host) => ({ host, ndk: Ndk.make(host.provider, host.nic.memory) }))
  )

/** Runs `effect` in a fiber and advances virtual time in small steps until it is done. */
export const drive = <A, E, R>(effect: Effect.Effect<A, E, R>, maxSteps = 20_000, stepUs = 20) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < maxSteps; i++) {
      for (let y = 0; y < 3; y++) yield* Effect.yieldNow()
      const done = yield* fiber.poll
      if (done._tag === "Some") return yield* Fiber.join(fiber)
      yield* TestClock.adjust(`${stepUs} micros`)
    }
    return yield* Effect.dieMessage(`drive: not done after ${maxSteps} steps`)
  })

/** Lets forked provider fibers run without moving time. */
export const yields = (n = 30) => Effect.forEach(Array.from({ length: n }), () => Effect.yieldNow(), { discard: true })
