import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as Fabric from "../src/Fabric.js"
import * as Nic from "../src/Nic.js"
import { Access } from "../src/NicCode.js"

/** NICs created through these helpers (for quiescence checks). */
const nics: Array<Nic.Nic> = []

/** Yields until no engine has runnable work (bounded). */
const quiesce = (done: () => boolean) =>
  Effect.gen(function*() {
    for (let y = 0; y < 400; y++) {
      if (done()) return
      yield* Effect.yieldNow()
      if (y >= 3 && !nics.some((n) => n.busy())) return
    }
  })

/**
 * Lets the engines run in virtual time: run every engine to quiescence, then move the clock — by `stepUs`, or
 * with `exact` to the next pending timer only — until `done()` or `steps × stepUs` of virtual time. With
 * `exact`, time moves only when every engine is idle, so a run depends on the seed alone (slower).
 */
export const settle = (
  done: () => boolean,
  options: { readonly steps?: number; readonly stepUs?: number; readonly exact?: boolean } = {}
) =>
  Effect.gen(function*() {
    const stepMs = (options.stepUs ?? 50) / 1000
    const start = yield* TestClock.currentTimeMillis
    const end = start + (options.steps ?? 2000) * stepMs
    while (true) {
      yield* quiesce(done)
      if (done()) return true
      const now = yield* TestClock.currentTimeMillis
      if (now >= end) return false
      let next = Math.min(now + stepMs, end)
      if (options.exact === true) {
        const sleeps = yield* TestClock.sleeps()
        for (const t of sleeps) if (t > now && t < next) next = t
      }
      yield* TestClock.setTime(next)
    }
  })

/** Just run for a while (virtual time). */
export const run = (us: number) => settle(() => false, { steps: 1, stepUs: us })

export interface Side {
  readonly nic: Nic.Nic
  readonly pd: number
  readonly cq: number
  readonly qpn: number
  /** one big registered buffer (local write, remote read/write, read sink) */
  readonly buf: number
  readonly mr: number
  readonly key: number
  readonly results: Nic.CqResults
  readonly events: Array<number>
}

export interface Pair {
  readonly fabric: Fabric.Fabric
  readonly a: Side
  readonly b: Side
}

export const makeSide = (
  nic: Nic.Nic,
  options: {
    readonly bufBytes?: number
    readonly sqDepth?: number
    readonly rqDepth?: number
    readonly cqDepth?: number
    readonly srq?: number
    readonly pd?: number
  }
) =>
  Effect.gen(function*() {
    const pd = options.pd ?? (yield* nic.allocPd)
    const events: Array<number> = []
    const cq = yield* nic.createCq(options.cqDepth ?? 1024, (code) => Effect.sync(() => void events.push(code)))
    const qpn = yield* nic.createQp({
      pd,
      sendCq: cq,
      recvCq: cq,
      ...(options.srq !== undefined ? { srq: options.srq } : {}),
      sqDepth: options.sqDepth ?? 64,
      rqDepth: options.rqDepth ?? 64,
      maxSendSge: 4,
      maxRecvSge: 4,
      maxInline: 64
    })
    const size = options.bufBytes ?? 256 * 1024
    const buf = nic.memory.alloc(size, 4096)
    const mr = yield* nic.createMr(pd)
    yield* nic.registerMr(mr, buf, size, Access.REMOTE_WRITE | Access.REMOTE_READ | Access.READ_SINK)
    return { nic, pd, cq, qpn, buf, mr, key: nic.mrKey(mr), results: new Nic.CqResults(256), events } satisfies Side
  })

export const connect = (a: Side, b: Side, ird = 8, ord = 8) =>
  Effect.gen(function*() {
    yield* a.nic.connectQp(a.qpn, { remoteAddress: b.nic.address, remoteQpn: b.qpn, ird, ord })
    yield* b.nic.connectQp(b.qpn, { remoteAddress: a.nic.address, remoteQpn: a.qpn, ird, ord })
  })

/** Two NICs (addresses 1 and 2) on a fabric, one connected QP pair. */
export const pair = (
  options: {
    readonly fabric?: Fabric.FabricOptions
    readonly config?: Partial<Nic.NicConfig>
    readonly side?: Parameters<typeof makeSide>[1]
  } = {}
): Effect.Effect<Pair, Nic.NicError, Scope.Scope> =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: 64 * 1024 * 1024, ...options.fabric })
    const cfg = { hostMemoryBytes: 4 * 1024 * 1024, deviceMemoryBytes: 1024 * 1024, ...options.config }
    const na = yield* Effect.provideService(Nic.make({ address: 1, config: cfg }), Fabric.Fabric, fabric)
    const nb = yield* Effect.provideService(Nic.make({ address: 2, config: cfg }), Fabric.Fabric, fabric)
    nics.length = 0
    nics.push(na, nb)
    const a = yield* makeSide(na, options.side ?? {})
    const b = yield* makeSide(nb, options.side ?? {})
    yield* connect(a, b)
    return { fabric, a, b }
  })

/** Polls everything from a side's CQ into plain records. */
export const drain = (s: Side) => {
  const out: Array<{ status: number; opcode: number; qpn: number; bytes: number; key: number; context: unknown }> = []
  while (true) {
    const n = s.nic.pollCq(s.cq, s.results)
    for (let i = 0; i < n; i++) {
      out.push({
        status: s.results.status[i]!,
        opcode: s.results.opcode[i]!,
        qpn: s.results.qpn[i]!,
        bytes: s.results.bytes[i]!,
        key: s.results.key[i]!,
        context: s.results.context[i]
      })
    }
    if (n < s.results.capacity) return out
  }
}

/** Waits until `n` completions are available on a side (polling them), returns them. */
export const collect = (s: Side, n: number, options?: Parameters<typeof settle>[1]) =>
  Effect.gen(function*() {
    const got: ReturnType<typeof drain> = []
    yield* settle(() => {
      got.push(...drain(s))
      return got.length >= n
    }, options)
    return got
  })

export const pattern = (len: number, seed: number): Uint8Array => {
  const b = new Uint8Array(len)
  let x = seed | 1
  for (let i = 0; i < len; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b[i] = x & 0xff
  }
  return b
}
