/**
 * Ready-made simulated hosts: N NICs on one fabric, each with its provider. The faulty variant seeds the
 * fabric's packet faults and the provider's create failures.
 *
 * @since 0.1.0
 */
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as NdkProvider from "./NdkProvider.js"

/**
 * One simulated host: its fabric address, NIC and provider.
 *
 * @since 0.1.0
 * @category models
 */
export interface Host {
  readonly address: number
  readonly nic: Nic.Nic
  readonly provider: NdkProvider.Provider
}

/**
 * The hosts of one fabric.
 *
 * @since 0.1.0
 * @category models
 */
export interface Hosts {
  readonly fabric: Fabric.Fabric
  readonly hosts: ReadonlyArray<Host>
}

/**
 * Options: how many hosts (addresses 1..N), fabric, NIC and provider options (per host or shared).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly count: number
  readonly fabric?: Fabric.FabricOptions
  readonly nic?: Partial<Nic.NicConfig>
  readonly provider?: NdkProvider.Options | ((index: number) => NdkProvider.Options)
}

/**
 * Builds N hosts on a fresh fabric (scoped: NIC engines and provider fibers end with the scope).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<Hosts, Nic.NicError, Scope.Scope> =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: 64 * 1024 * 1024, ...options.fabric })
    const hosts: Array<Host> = []
    for (let i = 0; i < options.count; i++) {
      const address = i + 1
      const nic = yield* Effect.provideService(
        Nic.make({
          address,
          config: { hostMemoryBytes: 4 * 1024 * 1024, deviceMemoryBytes: 1024 * 1024, ...options.nic }
        }),
        Fabric.Fabric,
        fabric
      )
      const p = typeof options.provider === "function" ? options.provider(i) : options.provider
      const provider = yield* NdkProvider.make(nic, p ?? {})
      hosts.push({ address, nic, provider })
    }
    return { fabric, hosts }
  })

/**
 * A faulty variant: seeded packet loss / duplication / reordering on the fabric and seeded create failures
 * in every provider.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeFaulty = (
  options: Options & {
    readonly seed: number
    readonly loss?: number
    readonly duplicate?: number
    readonly reorder?: number
    readonly createFailure?: number
  }
): Effect.Effect<Hosts, Nic.NicError, Scope.Scope> =>
  make({
    ...options,
    fabric: {
      ...options.fabric,
      seed: options.seed,
      faults: { loss: options.loss ?? 0.01, duplicate: options.duplicate ?? 0.01, reorder: options.reorder ?? 0.01 }
    },
    provider: (i) => {
      const base = typeof options.provider === "function" ? options.provider(i) : options.provider
      return {
        ...base,
        seed: options.seed + i,
        faults: { createFailure: options.createFailure ?? 0.05 }
      }
    }
  })

/**
 * Service tag of the simulated hosts.
 *
 * @since 0.1.0
 * @category tags
 */
export class SimulatedHosts extends Context.Tag("@effect-ndk/provider/SimulatedHosts")<SimulatedHosts, Hosts>() {}

/**
 * N hosts on one fabric as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<SimulatedHosts, Nic.NicError> =>
  Layer.scoped(SimulatedHosts, make(options))

/**
 * The faulty variant as a layer.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerFaulty = (
  options: Parameters<typeof makeFaulty>[0]
): Layer.Layer<SimulatedHosts, Nic.NicError> => Layer.scoped(SimulatedHosts, makeFaulty(options))
