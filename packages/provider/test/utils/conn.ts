/**
 * Connection test helpers: two (or more) hosts with the connection side wired, an adapter / PD / CQ / QP per
 * side, and recorders for request completions, connect events, disconnect events and close completions.
 */
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type {
  NdkAdapter,
  NdkConnector,
  NdkCq,
  NdkListener,
  NdkObject,
  NdkPd,
  NdkQp,
  NdkSharedEndpoint
} from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import { ipv4Addr, ipv6Addr } from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import * as TestClock from "effect/TestClock"
import { adapterOf } from "../../src/internal/adapter.js"
import type { HostCm } from "../../src/internal/cm.js"
import { connectionObjects } from "../../src/internal/connections.js"
import { cmOf } from "../../src/internal/connector.js"
import { ipv4Of, ipv6Of } from "../../src/internal/endpoints.js"
import * as NdkProvider from "../../src/NdkProvider.js"
import type * as SimulatedHosts from "../../src/SimulatedHosts.js"
import { createCq, createPd, createQp, hosts, open, S } from "./setup.js"

export { S }

/** The IPv4 socket address of host `n` (fabric address) with `port`. */
export const v4 = (n: number, port: number): SockAddr => ipv4Addr(ipv4Of(n), port)
/** The IPv6 socket address of host `n` with `port`. */
export const v6 = (n: number, port: number): SockAddr => ipv6Addr(ipv6Of(n), port)

/** One recorded callback. */
export interface Call {
  readonly what: string
  readonly context: unknown
  readonly status?: number
  readonly reason?: number
}

/** A log of callbacks, with a way to wait for them in virtual time. */
export class Log {
  readonly calls: Array<Call> = []
  push(c: Call): void {
    this.calls.push(c)
  }
  of(what: string, context?: unknown): Array<Call> {
    return this.calls.filter((c) => c.what === what && (context === undefined || c.context === context))
  }
  /** a request completion callback recording under `what` */
  completion(what: string) {
    return (context: unknown, status: number) => Effect.sync(() => this.push({ what, context, status }))
  }
  close(what = "close") {
    return (context: unknown) => Effect.sync(() => this.push({ what, context }))
  }
}

/** Lets fibers and NIC engines run, advancing virtual time by `stepMs` between rounds, until `done`. */
export const until = (done: () => boolean, steps = 400, stepMs = 1) =>
  Effect.gen(function*() {
    for (let k = 0; k < steps; k++) {
      for (let y = 0; y < 6; y++) {
        if (done()) return true
        yield* Effect.yieldNow()
      }
      if (done()) return true
      yield* TestClock.adjust(`${stepMs} millis`)
    }
    return done()
  })

/** Waits (virtual time) until `n` calls named `what` are recorded. */
export const waitFor = (log: Log, what: string, n = 1, steps = 400) => until(() => log.of(what).length >= n, steps)

export interface Side {
  readonly n: number
  readonly host: SimulatedHosts.Host
  readonly provider: NdkProvider.Provider
  readonly adapter: NdkAdapter
  readonly pd: NdkPd
  readonly cq: NdkCq
}

/** Hosts 1..count on one fabric, connection side wired, one adapter + PD + CQ on each. */
export const world = (
  count = 2,
  options: Omit<SimulatedHosts.Options, "count"> & { readonly version?: NdkVersion.NdkVersion } = {}
) =>
  Effect.gen(function*() {
    const providerOptions = options.provider
    const { fabric, hosts: hs } = yield* hosts(count, {
      ...options,
      provider: (i) => ({
        ...(typeof providerOptions === "function" ? providerOptions(i) : providerOptions),
        connections: connectionObjects
      })
    })
    const sides: Array<Side> = []
    for (const host of hs) {
      const adapter = yield* open(host.provider, options.version ?? NdkVersion.V2_1)
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter, 256)
      sides.push({ n: host.address, host, provider: host.provider, adapter, pd, cq })
    }
    return { fabric, sides }
  })

/**
 * The common preamble of a two-host connection test: hosts 1 and 2 (`world(2, options)`), a callback log, and a
 * listener on host b's IPv4 address and `port` whose connect events collect in `incoming`.
 */
export const listening = (
  options: Omit<SimulatedHosts.Options, "count"> & { readonly version?: NdkVersion.NdkVersion } = {},
  port = 5000
) =>
  Effect.gen(function*() {
    const { fabric, sides } = yield* world(2, options)
    const log = new Log()
    const incoming: Array<NdkConnector> = []
    const l = yield* listener(sides[1]!, incoming)
    const status = yield* listen(l, v4(sides[1]!.n, port))
    if (status !== S.STATUS_SUCCESS) return yield* Effect.dieMessage(`listen ${status}`)
    return { fabric, sides, log, incoming, l }
  })

/** Hosts with one NIC configuration each (per-host adapter caps), connection side wired. */
export const worldWith = (
  configs: ReadonlyArray<Partial<Nic.NicConfig>>,
  provider: NdkProvider.Options = {}
) =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: 32 * 1024 * 1024 })
    const sides: Array<Side> = []
    for (let i = 0; i < configs.length; i++) {
      const address = i + 1
      const nic = yield* Effect.provideService(
        Nic.make({ address, config: { hostMemoryBytes: 1024 * 1024, deviceMemoryBytes: 256 * 1024, ...configs[i] } }),
        Fabric.Fabric,
        fabric
      )
      const p = yield* NdkProvider.make(nic, { ...provider, connections: connectionObjects })
      const host: SimulatedHosts.Host = { address, nic, provider: p }
      const adapter = yield* open(p, NdkVersion.V2_1)
      const pd = yield* createPd(adapter)
      const cq = yield* createCq(adapter, 256)
      sides.push({ n: address, host, provider: p, adapter, pd, cq })
    }
    return { fabric, sides }
  })

const noCreate = () => Effect.void

/** The connection manager of a side's host (to tune its timeouts in a test). */
export const cmFor = (s: Side): HostCm => cmOf(adapterOf(s.adapter)!)

export const qpOf = (s: Side, context: unknown = "qp") => createQp(s.pd, s.cq, s.cq, { context })

export const connector = (s: Side | NdkAdapter) =>
  Effect.gen(function*() {
    const adapter = "adapter" in s ? s.adapter : s
    const out = OutParam.out<NdkConnector>()
    const st = yield* adapter.Dispatch.NdkCreateConnector(adapter, noCreate, null, out)
    if (st !== S.STATUS_SUCCESS || out.value === undefined) return yield* Effect.dieMessage(`connector ${st}`)
    return out.value
  })

/** A listener whose connect events push the delivered connector into `incoming`. */
export const listener = (s: Side, incoming: Array<NdkConnector>, onEvent?: (c: NdkConnector) => Effect.Effect<void>) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkListener>()
    const st = yield* s.adapter.Dispatch.NdkCreateListener(
      s.adapter,
      (_ctx, c) =>
        Effect.suspend(() => {
          incoming.push(c)
          return onEvent === undefined ? Effect.void : onEvent(c)
        }),
      "listen-ctx",
      noCreate,
      null,
      out
    )
    if (st !== S.STATUS_SUCCESS || out.value === undefined) return yield* Effect.dieMessage(`listener ${st}`)
    return out.value
  })

export const listen = (l: NdkListener, addr: SockAddr, log?: Log) =>
  l.Dispatch.NdkListen(l, addr, addr.family === 2 ? 16 : 28, log?.completion("listen") ?? (() => Effect.void), "listen")

export const sharedEndpoint = (s: Side, addr: SockAddr) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkSharedEndpoint>()
    const st = yield* s.adapter.Dispatch.NdkCreateSharedEndpoint(
      s.adapter,
      addr,
      addr.family === 2 ? 16 : 28,
      noCreate,
      null,
      out
    )
    return { status: st, sep: out.value }
  })

/** `NdkConnect` with defaults; completion recorded in `log` as "connect". */
export const connect = (
  c: NdkConnector,
  qp: NdkQp,
  src: SockAddr,
  dst: SockAddr,
  log: Log,
  o: { readonly ird?: number; readonly ord?: number; readonly data?: Uint8Array; readonly ctx?: unknown } = {}
) =>
  c.Dispatch.NdkConnect(
    c,
    qp,
    src,
    src.family === 2 ? 16 : 28,
    dst,
    dst.family === 2 ? 16 : 28,
    o.ird ?? 4,
    o.ord ?? 4,
    o.data ?? null,
    o.data?.length ?? 0,
    log.completion("connect"),
    o.ctx ?? "connect"
  )

/**
 * A new connector on `a` connecting (ephemeral local port, new QP) to host `b`'s IPv4 address and `port`; the
 * connect must pend (its completion is recorded in `log` as "connect").
 */
export const dial = (
  a: Side,
  b: Side,
  log: Log,
  o: { readonly ird?: number; readonly ord?: number; readonly data?: Uint8Array; readonly ctx?: unknown } = {},
  port = 5000
) =>
  Effect.gen(function*() {
    const c = yield* connector(a)
    const st = yield* connect(c, yield* qpOf(a), v4(a.n, 0), v4(b.n, port), log, o)
    if (st !== S.STATUS_PENDING) return yield* Effect.dieMessage(`connect ${st}`)
    return c
  })

export const accept = (
  c: NdkConnector,
  qp: NdkQp,
  log: Log,
  o: { readonly ird?: number; readonly ord?: number; readonly data?: Uint8Array; readonly ctx?: unknown } = {}
) =>
  c.Dispatch.NdkAccept(
    c,
    qp,
    o.ird ?? 4,
    o.ord ?? 4,
    o.data ?? null,
    o.data?.length ?? 0,
    (ctx) => Effect.sync(() => log.push({ what: "disconnect-event", context: ctx })),
    "passive-disc",
    log.completion("accept"),
    o.ctx ?? "accept"
  )

export const completeConnect = (c: NdkConnector, log: Log) =>
  c.Dispatch.NdkCompleteConnect(
    c,
    (ctx) => Effect.sync(() => log.push({ what: "disconnect-event", context: ctx })),
    "active-disc",
    log.completion("complete"),
    "complete"
  )

export const disconnect = (c: NdkConnector, log: Log, ctx: unknown = "disconnect") =>
  c.Dispatch.NdkDisconnect(c, log.completion("disconnect"), ctx)

export const closeWith = (o: NdkObject, log: Log, ctx: unknown) => {
  const d = o.Dispatch as unknown as { readonly [k: string]: unknown }
  const fn = Object.values(d)[0] as (
    obj: unknown,
    c: (ctx: unknown) => Effect.Effect<void>,
    ctx: unknown
  ) => Effect.Effect<number>
  return fn(o, log.close(), ctx)
}

/**
 * A connected pair: listener on host b port `port`, connector on a, accept + complete; returns every object.
 */
export const established = (
  a: Side,
  b: Side,
  log: Log,
  port = 5000,
  o: { readonly ird?: number; readonly ord?: number } = {}
) =>
  Effect.gen(function*() {
    const before = log.of("connect").length
    const acceptsBefore = log.of("accept").length
    const incoming: Array<NdkConnector> = []
    const l = yield* listener(b, incoming)
    const ls = yield* listen(l, v4(b.n, port))
    if (ls !== S.STATUS_SUCCESS) return yield* Effect.dieMessage(`listen ${ls}`)
    const qa = yield* qpOf(a, "qa")
    const qb = yield* qpOf(b, "qb")
    const ca = yield* connector(a)
    const st = yield* connect(ca, qa, v4(a.n, 0), v4(b.n, port), log, o)
    if (st !== S.STATUS_PENDING) return yield* Effect.dieMessage(`connect ${st}`)
    yield* until(() => incoming.length > 0)
    const cb = incoming[0]
    if (cb === undefined) return yield* Effect.dieMessage("no connect event")
    const as = yield* accept(cb, qb, log, o)
    if (as !== S.STATUS_PENDING) return yield* Effect.dieMessage(`accept ${as}`)
    yield* waitFor(log, "connect", before + 1)
    const c0 = log.of("connect")[before]!
    if (c0.status !== S.STATUS_SUCCESS) return yield* Effect.dieMessage(`connect completed ${c0.status}`)
    const cs = yield* completeConnect(ca, log)
    if (cs !== S.STATUS_SUCCESS) return yield* Effect.dieMessage(`complete ${cs}`)
    yield* waitFor(log, "accept", acceptsBefore + 1)
    return { l, ca, cb, qa, qb, incoming }
  })
