/**
 * Test wiring: N simulated hosts (provider package, dev-only) with one `Ndk` per host.
 */
import * as SockAddr from "@effect-ndk/ndkpi/SockAddr"
import * as SimulatedHosts from "@effect-ndk/provider/SimulatedHosts"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { connectionObjects } from "../../../provider/src/internal/connections.js"
import * as Ndk from "../../src/Ndk.js"

export interface TestHost {
  readonly host: SimulatedHosts.Host
  readonly ndk: Ndk.NdkService
}

export const hosts = (
  count: number,
  options: Omit<SimulatedHosts.Options, "count"> = {}
): Effect.Effect<ReadonlyArray<TestHost>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const h = yield* Effect.orDie(SimulatedHosts.make({ count, ...options }))
    // the provider's public layers do not yet wire its connection side by default: wire it here (tests only)
    yield* Effect.forEach(h.hosts, (host) => host.provider.setConnections(connectionObjects), { discard: true })
    return h.hosts.map((host) => ({ host, ndk: Ndk.make(host.provider, host.nic.memory) }))
  })

/** The IPv4 socket address of simulated host `n` (the provider's addressing plan: 10.x.y.z). */
export const addr = (n: number, port: number) => SockAddr.ipv4Addr(`10.0.0.${n}`, port)

/** Runs `effect` in a fiber and advances virtual time in small steps until it is done. */
export const drive = <A, E, R>(effect: Effect.Effect<A, E, R>, maxSteps = 20_000, stepUs = 20) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < maxSteps; i++) {
      for (let y = 0; y < 3; y++) yield* Effect.yieldNow()
      const done = yield* fiber.poll
      if (done._tag === "Some") return yield* Fiber.join(fiber)
      // fine steps first (data path), coarser later (connection-manager timers)
      yield* TestClock.adjust(`${i < 2000 ? stepUs : i < 4000 ? stepUs * 50 : stepUs * 1000} micros`)
    }
    return yield* Effect.dieMessage(`drive: not done after ${maxSteps} steps`)
  })

/** Lets forked provider fibers run without moving time. */
export const yields = (n = 30) => Effect.forEach(Array.from({ length: n }), () => Effect.yieldNow(), { discard: true })

/**
 * Runs a scoped body in its own scope and closes that scope while driving virtual time (closing connections
 * needs the fabric: disconnect messages travel through it).
 */
export const scopedDriven = <A, E, R>(body: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Scope.make(),
    (s) => Scope.extend(body, s),
    (s, exit) => drive(Scope.close(s, exit))
  )
