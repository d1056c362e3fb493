/**
 * N simulated hosts (NIC + our provider, connection side wired through `NdkProvider.layer`) on one fabric.
 *
 * @internal
 */
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import { NdkProvider } from "@effect-ndk/ndkpi/ProviderHost"
import * as NdkProviderImpl from "@effect-ndk/provider/NdkProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** @internal */
export interface Host {
  readonly address: number
  readonly nic: Nic.Nic
  readonly provider: NdkProviderImpl.Provider
}

const isProvider = (u: unknown): u is NdkProviderImpl.Provider =>
  typeof u === "object" && u !== null && "reset" in u && "setFaults" in u

/** @internal */
export const make = (
  count: number,
  options: {
    readonly fabric?: Fabric.FabricOptions
    readonly provider?: (index: number) => NdkProviderImpl.Options
  } = {}
) =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: 16 * 1024 * 1024, ...options.fabric })
    const hosts: Array<Host> = []
    for (let i = 0; i < count; i++) {
      const address = i + 1
      const nic = yield* Effect.provideService(
        Nic.make({ address, config: { hostMemoryBytes: 1024 * 1024, deviceMemoryBytes: 256 * 1024 } }),
        Fabric.Fabric,
        fabric
      )
      const ctx = yield* Layer.build(NdkProviderImpl.layer(options.provider?.(i) ?? {})).pipe(
        Effect.provideService(Nic.Nic, nic)
      )
      const provider = Context.get(ctx, NdkProvider)
      if (!isProvider(provider)) return yield* Effect.dieMessage("NdkProvider.layer gave no simulated provider")
      hosts.push({ address, nic, provider })
    }
    return { fabric, hosts }
  })
