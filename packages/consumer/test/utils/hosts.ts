/**
 * Test wiring: N simulated hosts composed from public layers (Fabric → Nic → NdkProvider.layer → Ndk), dev-only.
 */
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import * as SockAddr from "@effect-ndk/ndkpi/SockAddr"
import * as NdkProvider from "@effect-ndk/provider/NdkProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import { HostMemoryTag } from "../../src/HostMemory.js"
import * as Ndk from "../../src/Ndk.js"

export interface TestHost {
  readonly host: { readonly address: number; readonly nic: Nic.Nic }
  readonly ndk: Ndk.NdkService
}

/** One host's layers over the fabric in context: Nic → provider (connection side wired) + host memory → Ndk. */
const hostLayer = (address: number, options: NdkProvider.Options = {}) => {
  const nic = Layer.scoped(
    Nic.Nic,
    Nic.make({ address, config: { hostMemoryBytes: 2 << 20, deviceMemoryBytes: 256 << 10 } })
  )
  const below = Layer.merge(
    NdkProvider.layer(options),
    Layer.effect(HostMemoryTag, Effect.map(Nic.Nic, (n) => n.memory))
  )
  return Ndk.layer.pipe(Layer.provide(below), Layer.provideMerge(nic))
}

/** N simulated hosts on one fresh fabric, each with its own `Ndk` (provider options apply to every host). */
export const hosts = (
  count: number,
  options: NdkProvider.Options = {}
): Effect.Effect<ReadonlyArray<TestHost>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: (count + 1) * (3 << 20) })
    const out: Array<TestHost> = []
    for (let i = 0; i < count; i++) {
      const ctx = yield* Effect.orDie(
        Layer.build(hostLayer(i + 1, options).pipe(Layer.provide(Layer.succeed(Fabric.Fabric, fabric))))
      )
      out.push({ host: { address: i + 1, nic: Context.get(ctx, Nic.Nic) }, ndk: Context.get(ctx, Ndk.Ndk) })
    }
    return out
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
