/**
 * The simulated fabric: an in-memory network of NICs by address, with a link model (latency, bandwidth, MTU),
 * run-time faults (loss, duplication, reordering, corruption, link down, partitions), one seeded PRNG, and a
 * packet trace hash (same seed and workload ⇒ same hash). Time comes only from Effect's Clock.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FabricCore, K_ACK, K_MAD, K_NAK, K_READ_REQ, K_READ_RESP, K_SEND, K_WRITE } from "./internal/fabric.js"
import { fabricCores } from "./internal/registry.js"

/**
 * Fault knobs (probabilities per packet, 0..1).
 *
 * @since 0.1.0
 * @category models
 */
export interface Faults {
  readonly loss: number
  readonly duplicate: number
  readonly reorder: number
  /** extra delay of a reordered (or duplicated) packet: uniform in [0, reorderMaxUs) microseconds */
  readonly reorderMaxUs: number
  /** corrupted packets fail the receiver's ICRC check and are dropped */
  readonly corrupt: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FabricOptions {
  readonly seed?: number
  /** total physical memory shared by every host arena and device memory on this fabric (default 256 MiB) */
  readonly memoryBytes?: number
  /** one-way latency, microseconds (default 0) */
  readonly latencyUs?: number
  /** per-NIC egress bandwidth, Gbit/s; 0 = unlimited (default 0) */
  readonly bandwidthGbps?: number
  /** largest path MTU the fabric carries (default 4096) */
  readonly mtu?: number
  readonly faults?: Partial<Faults>
  /** maintain the trace hash (default true) */
  readonly trace?: boolean
  /** use the wasm `memory.copy` for DMA (default true) */
  readonly wasm?: boolean
}

/**
 * Counters of packet fates.
 *
 * @since 0.1.0
 * @category models
 */
export interface FabricCounters {
  readonly sent: number
  readonly delivered: number
  readonly lost: number
  readonly duplicated: number
  readonly corrupted: number
  readonly reordered: number
  readonly blocked: number
}

/**
 * Packet kinds on the wire (for targeted drops).
 *
 * @since 0.1.0
 * @category constants
 */
export const PacketKind = {
  SEND: K_SEND,
  WRITE: K_WRITE,
  READ_REQUEST: K_READ_REQ,
  READ_RESPONSE: K_READ_RESP,
  ACK: K_ACK,
  NAK: K_NAK,
  MAD: K_MAD
} as const

/**
 * What a targeted drop matches: a packet kind, optionally its 24-bit wire PSN and its source address.
 *
 * @since 0.1.0
 * @category models
 */
export interface DropMatch {
  readonly kind: typeof PacketKind[keyof typeof PacketKind]
  readonly psn?: number
  readonly from?: number
  readonly count?: number
}

/**
 * The fabric service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Fabric {
  readonly seed: number
  readonly mtu: number
  /** change fault probabilities at run time (unspecified knobs keep their value) */
  readonly setFaults: (faults: Partial<Faults>) => Effect.Effect<void>
  readonly faults: Effect.Effect<Faults>
  readonly setLink: (link: { readonly latencyUs?: number; readonly bandwidthGbps?: number }) => Effect.Effect<void>
  /** every packet from or to the address is dropped until `linkUp` */
  readonly linkDown: (address: number) => Effect.Effect<void>
  readonly linkUp: (address: number) => Effect.Effect<void>
  /** packets between the two addresses are dropped (both directions) until healed */
  readonly partition: (a: number, b: number) => Effect.Effect<void>
  /** heals one partition, or all of them when called without arguments */
  readonly heal: (a?: number, b?: number) => Effect.Effect<void>
  /**
   * Targeted loss: drops the next `count` (default 1) packets of `kind` — with wire PSN `psn` and from address
   * `from` when given — as if lost on the wire (counted in `lost`). Rules stay armed until used up.
   */
  readonly dropNext: (match: DropMatch) => Effect.Effect<void>
  /** targeted drops still armed (packets they will still drop) */
  readonly dropsPending: Effect.Effect<number>
  readonly traceHash: Effect.Effect<number>
  readonly counters: Effect.Effect<FabricCounters>
  /** addresses of the NICs currently attached */
  readonly addresses: Effect.Effect<ReadonlyArray<number>>
}

/**
 * @since 0.1.0
 * @category tags
 */
export const Fabric: Context.Tag<Fabric, Fabric> = Context.GenericTag<Fabric>("@effect-ndk/hardware/Fabric")

/**
 * Builds a fabric (reads the Clock of the building context: TestClock in tests).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: FabricOptions = {}): Effect.Effect<Fabric> =>
  Effect.map(Effect.clock, (clock) => {
    const seed = (options.seed ?? 1) >>> 0
    const core = new FabricCore({
      seed,
      memoryBytes: options.memoryBytes ?? 256 * 1024 * 1024,
      link: {
        latencyUs: options.latencyUs ?? 0,
        bandwidthGbps: options.bandwidthGbps ?? 0,
        mtu: options.mtu ?? 4096
      },
      faults: {
        loss: options.faults?.loss ?? 0,
        duplicate: options.faults?.duplicate ?? 0,
        reorder: options.faults?.reorder ?? 0,
        reorderMaxUs: options.faults?.reorderMaxUs ?? 10,
        corrupt: options.faults?.corrupt ?? 0
      },
      trace: options.trace ?? true,
      now: () => clock.unsafeCurrentTimeMillis(),
      wasm: options.wasm ?? true
    })
    const fabric: Fabric = {
      seed,
      mtu: core.link.mtu,
      setFaults: (f) => Effect.sync(() => void Object.assign(core.faults, f)),
      faults: Effect.sync(() => ({ ...core.faults })),
      setLink: (l) =>
        Effect.sync(() => {
          if (l.latencyUs !== undefined) core.link.latencyUs = l.latencyUs
          if (l.bandwidthGbps !== undefined) core.link.bandwidthGbps = l.bandwidthGbps
        }),
      linkDown: (a) => Effect.sync(() => void core.linkDown.add(a)),
      linkUp: (a) => Effect.sync(() => void core.linkDown.delete(a)),
      partition: (a, b) => Effect.sync(() => void core.partitions.add(`${a}|${b}`)),
      heal: (a, b) =>
        Effect.sync(() => {
          if (a === undefined || b === undefined) core.partitions.clear()
          else {
            core.partitions.delete(`${a}|${b}`)
            core.partitions.delete(`${b}|${a}`)
          }
        }),
      dropNext: (m) =>
        Effect.sync(() =>
          void core.drops.push({ kind: m.kind, psn: m.psn ?? -1, from: m.from ?? -1, left: Math.max(1, m.count ?? 1) })
        ),
      dropsPending: Effect.sync(() => core.drops.reduce((n, r) => n + r.left, 0)),
      traceHash: Effect.sync(() => core.traceHash()),
      counters: Effect.sync(() => ({ ...core.counters })),
      addresses: Effect.sync(() => Array.from(core.byAddress.keys()))
    }
    fabricCores.set(fabric, core)
    return fabric
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: FabricOptions = {}): Layer.Layer<Fabric> => Layer.effect(Fabric, make(options))

/**
 * The current fabric time in milliseconds (Effect's Clock).
 *
 * @since 0.1.0
 * @category utils
 */
export const now: Effect.Effect<number> = Clock.currentTimeMillis
