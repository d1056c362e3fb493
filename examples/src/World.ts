/**
 * The examples' world: N simulated hosts on one fabric, composed the way an application composes layers —
 * Fabric → Nic (one per host) → provider (`NdkProvider.layer`, connection side wired) → `Ndk` — plus a driver of
 * virtual time and helpers to connect two hosts.
 */
import { HostMemoryTag } from "@effect-ndk/consumer/HostMemory"
import * as Ndk from "@effect-ndk/consumer/Ndk"
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import * as SockAddr from "@effect-ndk/ndkpi/SockAddr"
import * as NdkProvider from "@effect-ndk/provider/NdkProvider"
import * as VirtualClock from "@effect-ndk/testing/VirtualClock"
import { Context, Effect, Fiber, Layer } from "effect"

/** One host as the examples see it: its `Ndk` service and (for leak counting only) its NIC. */
export interface Host {
  readonly address: number
  readonly ndk: Ndk.NdkService
  readonly nic: Nic.Nic
}

export interface WorldOptions {
  readonly hosts: number
  readonly seed?: number
  /** packet loss probability on the fabric */
  readonly loss?: number
  /** one-way link latency (default 2 µs) and bandwidth (default 25 Gb/s) */
  readonly latencyUs?: number
  readonly bandwidthGbps?: number
  readonly hostMemoryBytes?: number
}

/** The layers of one host over the fabric in context. */
export const hostLayer = (address: number, hostMemoryBytes: number) => {
  const nic = Layer.scoped(Nic.Nic, Nic.make({ address, config: { hostMemoryBytes, deviceMemoryBytes: 256 * 1024 } }))
  const below = Layer.merge(NdkProvider.layer(), Layer.effect(HostMemoryTag, Nic.Nic.pipe(Effect.map((n) => n.memory))))
  return Ndk.layer.pipe(Layer.provide(below), Layer.provideMerge(nic))
}

/** Builds the hosts (scoped: NIC engines and provider fibers end with the scope). */
export const world = (o: WorldOptions) =>
  Effect.gen(function*() {
    const hostMemoryBytes = o.hostMemoryBytes ?? 4 * 1024 * 1024
    const fabric = yield* Fabric.make({
      seed: o.seed ?? 1,
      memoryBytes: (o.hosts + 1) * (hostMemoryBytes + 512 * 1024),
      latencyUs: o.latencyUs ?? 2,
      bandwidthGbps: o.bandwidthGbps ?? 25,
      faults: { loss: o.loss ?? 0 }
    })
    const hosts: Array<Host> = []
    for (let i = 0; i < o.hosts; i++) {
      const ctx = yield* Layer.build(
        hostLayer(i + 1, hostMemoryBytes).pipe(Layer.provide(Layer.succeed(Fabric.Fabric, fabric)))
      )
      hosts.push({ address: i + 1, ndk: Context.get(ctx, Ndk.Ndk), nic: Context.get(ctx, Nic.Nic) })
    }
    return { fabric, hosts }
  })

/** The IPv4 socket address of host `n` under the provider's addressing plan. */
export const addr = (n: number, port: number) => SockAddr.ipv4Addr(`10.0.0.${n}`, port)

export const ALL_ACCESS = NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE | NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_READ |
  NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_WRITE | NdkMrFlag.NDK_MR_FLAG_RDMA_READ_SINK

/** One endpoint's objects: adapter, PD, CQ, a registered buffer and a QP. */
export interface Side {
  readonly host: Host
  readonly adapter: Ndk.Adapter
  readonly pd: Ndk.ProtectionDomain
  readonly cq: Ndk.CompletionQueue
  readonly mr: Ndk.MemoryRegion
  readonly qp: Ndk.QueuePair
}

export const side = (host: Host, o: { readonly bytes?: number; readonly depth?: number } = {}) =>
  Effect.gen(function*() {
    const adapter = yield* host.ndk.openAdapter()
    const pd = yield* adapter.createPd
    const depth = o.depth ?? 64
    const cq = yield* adapter.createCq(depth * 2 + 8)
    const mr = yield* pd.registerMemory(o.bytes ?? 65536, ALL_ACCESS)
    const qp = yield* pd.createQp({
      receiveCq: cq,
      initiatorCq: cq,
      receiveQueueDepth: depth,
      initiatorQueueDepth: depth
    })
    return { host, adapter, pd, cq, mr, qp } satisfies Side
  })

/** A QP on an existing adapter/PD/CQ with its own buffer. */
export const extraQp = (s: Side, o: { readonly bytes?: number; readonly depth?: number } = {}) =>
  Effect.gen(function*() {
    const mr = yield* s.pd.registerMemory(o.bytes ?? 65536, ALL_ACCESS)
    const depth = o.depth ?? 64
    const qp = yield* s.pd.createQp({
      receiveCq: s.cq,
      initiatorCq: s.cq,
      receiveQueueDepth: depth,
      initiatorQueueDepth: depth
    })
    return { ...s, mr, qp } satisfies Side
  })

/** Connects `client` to `server` through a listener on `port`; both QPs end up connected. */
export const connect = (client: Side, server: Side, port: number, listener?: Ndk.Listener) =>
  Effect.gen(function*() {
    const l = listener ?? (yield* server.adapter.listen(addr(server.host.address, port)))
    const accepting = yield* Effect.fork(
      Effect.flatMap(l.incoming, (req) => req.accept(server.qp, { inboundReadLimit: 8, outboundReadLimit: 8 }))
    )
    const c = yield* client.adapter.connect(client.qp, addr(client.host.address, 0), addr(server.host.address, port), {
      inboundReadLimit: 8,
      outboundReadLimit: 8
    })
    const s = yield* Fiber.join(accepting)
    return { client: c, server: s }
  })

/**
 * Runs a program in virtual time (the shared clock of `@effect-ndk/testing`): straight to the next scheduled
 * wake-up each time the fibers are idle; dies when the program is stuck or virtual time passes `limitMs`.
 */
export const runVirtual = VirtualClock.run

/** Virtual now in microseconds. */
export const nowUs = Effect.map(Effect.clockWith((c) => c.currentTimeMillis), (ms) => Math.round(ms * 1000))

/** Percentile of a sorted array. */
export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

/** Leak counters of a host: NIC table rows and live objects. */
export const nicRows = (h: Host) => {
  const s = h.nic.stats()
  return s.pds + s.mrs + s.mws + s.qps + s.cqs + s.srqs
}
