/**
 * The NDKPI provider over a simulated NIC: `make` builds the provider host of one miniport (what NDIS calls
 * through `OpenNdkAdapter` / `CloseNdkAdapter`) on the {@link Nic} in context; `layer` provides it as
 * ndkpi's `NdkProvider`.
 *
 * @since 0.1.0
 */
import type { Nic } from "@effect-ndk/hardware/Nic"
import { Nic as NicTag } from "@effect-ndk/hardware/Nic"
import type { LifetimeEvent } from "@effect-ndk/lifetime"
import type { NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import type { NdkProviderHost, WskProviderNdkDispatch } from "@effect-ndk/ndkpi/ProviderHost"
import { NdkProvider } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkAdapter } from "@effect-ndk/ndkpi/RawInterface"
import { NdkRdmaTechnology } from "@effect-ndk/ndkpi/RdmaTechnology"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { AdapterImpl, AdapterSettings } from "./internal/adapter.js"
import { closeAdapter, openAdapter } from "./internal/adapter.js"
import type { CmConfig } from "./internal/cm.js"
import { managerOf } from "./internal/cm.js"
import { connectionObjects } from "./internal/connections.js"
import type { CompletionMode, ProviderCore, ProviderFaults, Violation } from "./internal/object.js"
import type { ConnectionObjects } from "./internal/seam.js"

/**
 * How the provider completes creates and control requests (never work requests): `"inline"` returns the final
 * status (no callback); `"pending"` returns STATUS_PENDING and calls back from a provider fiber;
 * `"pendingInline"` calls back inside the call, then returns STATUS_PENDING (SPEC.md §1.2 item 4).
 *
 * @since 0.1.0
 * @category models
 */
export type Mode = CompletionMode

/**
 * Provider options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** highest NDKPI version implemented: 1.1, 1.2 or 2.1 (default 2.1) */
  readonly version?: NdkVersion.NdkVersion
  /** completion mode of creates and control requests (default "inline") */
  readonly mode?: Mode
  /** NDK enabled on the miniport (default true) */
  readonly enabled?: boolean
  /** seed of the provider's own fault injection (default 1) */
  readonly seed?: number
  readonly faults?: Partial<ProviderFaults>
  /** `MaxCallerData` / `MaxCalleeData` (defaults 56 / 148) */
  readonly maxCallerData?: number
  readonly maxCalleeData?: number
  /** `NDK_ADAPTER_FLAG_CQ_INTERRUPT_MODERATION_SUPPORTED` (default true) */
  readonly interruptModeration?: boolean
  readonly rdmaTechnology?: number
  /** extension interfaces by GUID (default none) */
  readonly extensions?: ReadonlyMap<string, NdkExtensionInterface>
  /** the connector / listener / shared-endpoint creates (the connection side); default: the real ones (`setConnections(undefined)` unwires them ⇒ STATUS_NOT_SUPPORTED) */
  readonly connections?: ConnectionObjects<AdapterImpl>
  /** lifetime-kernel watchdog period, ms (default 30 s) */
  readonly watchdog?: number
  /** consumer-contract violations the provider detects itself: adapter close / query info from a callback */
  readonly onViolation?: (violation: Violation) => void
  /** lifetime-kernel event sink (every adapter instance's kernel reports to it) */
  readonly sink?: LifetimeEvent.Sink
  /**
   * connection-manager settings (defaults in `cm.ts`): retransmission and timeouts (virtual ms), and `backlog`
   * (default 128) — requests a listener delivered and the consumer has not yet accepted, rejected or closed, beyond
   * which new requests are refused with `STATUS_CONNECTION_REFUSED` at the requester (SPEC.md §9.4; `NdkListen`
   * takes no backlog, so it is per host)
   */
  readonly connectionManager?: Partial<CmConfig>
}

/**
 * A provider host with its control surface (test and simulator knobs).
 *
 * @since 0.1.0
 * @category models
 */
export interface Provider extends NdkProviderHost {
  readonly nic: Nic
  /** the consumer-side view (WSK extension) */
  readonly wsk: WskProviderNdkDispatch
  /** enables or disables NDK at once (open then fails with ADAPTER_NOT_READY, R36) */
  readonly setEnabled: (enabled: boolean) => Effect.Effect<void>
  /**
   * `OID_NDK_SET_STATE` (SPEC.md §8.6): completes synchronously with STATUS_SUCCESS (never pending, R42). Disabling
   * raises `NetEventNDKDisable` from another fiber; that event stays pending until every open adapter instance
   * is closed (R41) — see {@link Provider.ndkDisableEvent}.
   */
  readonly oidSetState: (enabled: boolean) => Effect.Effect<number>
  /** the last `NetEventNDKDisable` raised by `oidSetState(false)`: completes once no adapter instance is open */
  readonly ndkDisableEvent: Effect.Effect<void>
  readonly setMode: (mode: Mode) => Effect.Effect<void>
  readonly setFaults: (faults: Partial<ProviderFaults>) => Effect.Effect<void>
  /** wires the connection side after construction */
  readonly setConnections: (connections: ConnectionObjects<AdapterImpl> | undefined) => Effect.Effect<void>
  /** NIC reset / surprise removal: every object stays closable, pending work fails */
  readonly reset: Effect.Effect<void>
}

const mulberry32 = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Builds the provider of one host on a NIC; its fibers (callback delivery, pending requests) live in the
 * scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (nic: Nic, options: Options = {}): Effect.Effect<Provider, never, Scope.Scope> =>
  Effect.gen(function*() {
    const runFork = yield* FiberSet.makeRuntime<never>()
    const highest = options.version ?? NdkVersion.V2_1
    const clock = yield* Effect.clock
    const core: ProviderCore = {
      nic,
      clock,
      highest: NdkVersion.providerVersions.some((v) => NdkVersion.equals(v, highest)) ? highest : NdkVersion.V2_1,
      mode: { current: options.mode ?? "inline" },
      faults: { current: { createFailure: options.faults?.createFailure ?? 0 } },
      enabled: { current: options.enabled ?? true },
      // a provider fiber never runs inside the caller's call: it starts after the caller yields
      fork: (effect) => runFork(Effect.zipRight(Effect.yieldNow(), Effect.orDie(effect))),
      random: mulberry32(options.seed ?? 1),
      watchdog: options.watchdog,
      onViolation: options.onViolation ?? (() => {}),
      adapters: new Set(),
      whenNoAdapters: [],
      sink: options.sink
    }
    // the host's connection manager answers MADs from the start (a host without listeners refuses connects)
    const cm = managerOf(core, nic, core.fork, core.clock)
    if (options.connectionManager !== undefined) cm.config = { ...cm.config, ...options.connectionManager }
    const settings: AdapterSettings = {
      maxCallerData: options.maxCallerData ?? 56,
      maxCalleeData: options.maxCalleeData ?? 148,
      interruptModeration: options.interruptModeration ?? true,
      rdmaTechnology: options.rdmaTechnology ?? NdkRdmaTechnology.NdkInfiniBand,
      extensions: new Map(Array.from(options.extensions ?? new Map(), ([k, v]) => [k.toLowerCase(), v])),
      connections: { current: options.connections ?? connectionObjects }
    }
    let disableEvent = yield* Deferred.make<void>()
    yield* Deferred.succeed(disableEvent, undefined)
    const provider: Provider = {
      MiniportAdapterContext: core,
      OpenNdkAdapter: (_ctx, parameters, out) => openAdapter(core, settings, parameters, out),
      CloseNdkAdapter: (_ctx, adapter) => closeAdapter(adapter),
      nic,
      wsk: {
        WskOpenNdkAdapter: (_client, version, _ifIndex, out) =>
          openAdapter(core, settings, { Version: version, SwitchId: 0, VPortId: 0 }, out),
        WskCloseNdkAdapter: (_client, adapter: NdkAdapter) => closeAdapter(adapter)
      },
      setEnabled: (enabled) =>
        Effect.sync(() => {
          core.enabled.current = enabled
        }),
      oidSetState: (enabled) =>
        Effect.sync(() => {
          core.enabled.current = enabled
          if (!enabled) {
            // the PnP event is sent from another context (a provider fiber), never from the OID handler
            disableEvent = Deferred.unsafeMake<void>(FiberId.none)
            const d = disableEvent
            core.fork(Effect.suspend(() => {
              if (core.adapters.size === 0) return Deferred.succeed(d, undefined)
              return Effect.async<void>((resume) => {
                core.whenNoAdapters.push(() => resume(Effect.void))
              }).pipe(Effect.zipRight(Deferred.succeed(d, undefined)))
            }))
          }
          return NtStatus.STATUS_SUCCESS
        }),
      ndkDisableEvent: Effect.suspend(() => Deferred.await(disableEvent)),
      setMode: (mode) =>
        Effect.sync(() => {
          core.mode.current = mode
        }),
      setFaults: (faults) =>
        Effect.sync(() => {
          core.faults.current = { ...core.faults.current, ...faults }
        }),
      setConnections: (connections) =>
        Effect.sync(() => {
          settings.connections.current = connections
        }),
      reset: nic.reset
    }
    return provider
  })

/**
 * ndkpi's `NdkProvider` over the {@link NicTag Nic} in context (connection side wired unless `options.connections`
 * says otherwise).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<NdkProvider, never, Nic> =>
  Layer.scoped(NdkProvider, Effect.flatMap(NicTag, (nic) => make(nic, options)))
