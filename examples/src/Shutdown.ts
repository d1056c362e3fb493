/**
 * Example 5 — graceful shutdown under load, and the engine of the main demo: hosts in a ring, several connected
 * QPs per neighbour pair, each running request/response traffic (send + receive, plus an RDMA write every few
 * requests). After the run time the traffic is interrupted with requests in flight, every object closes in order
 * (scope release: connections, QPs, MRs, CQs, PDs, adapters), and the counters of every host are checked: each
 * pended close fired its completion, every object created was closed, flushed operations are counted, nothing is
 * outstanding, no NIC table row is left.
 */
import type * as Ndk from "@effect-ndk/consumer/Ndk"
import { Effect, Exit, Fiber, Scope } from "effect"
import type { Host } from "./World.js"
import { addr, connect, extraQp, nicRows, nowUs, percentile, side, world } from "./World.js"

export interface LoadOptions {
  readonly hosts: number
  readonly qps: number
  /** traffic time in virtual milliseconds */
  readonly durationMs: number
  readonly size: number
  readonly seed: number
  readonly loss: number
  /** called about every `progressEveryMs` of virtual time with a one-line status */
  readonly onProgress?: (line: string) => Effect.Effect<void>
  readonly progressEveryMs?: number
}

export interface Totals {
  readonly created: Record<string, number>
  readonly closed: Record<string, number>
  readonly closesPended: number
  readonly closeCompletionsFired: number
  readonly requestsFlushed: number
  readonly notificationsCancelled: number
  readonly abandoned: number
  readonly outstanding: number
  readonly lost: number
  readonly strays: number
}

export interface LoadReport {
  readonly requests: number
  readonly bytes: number
  readonly virtualMs: number
  readonly p50Us: number
  readonly p99Us: number
  readonly inFlightAtShutdown: number
  readonly totals: Totals
  readonly nicRowsLeft: number
  readonly violations: ReadonlyArray<string>
}

const sum = (hosts: ReadonlyArray<Host>): Totals => {
  const t = {
    created: {} as Record<string, number>,
    closed: {} as Record<string, number>,
    closesPended: 0,
    closeCompletionsFired: 0,
    requestsFlushed: 0,
    notificationsCancelled: 0,
    abandoned: 0,
    outstanding: 0,
    lost: 0,
    strays: 0
  }
  for (const h of hosts) {
    const s = h.ndk.unsafeStats()
    for (const [k, n] of Object.entries(s.created)) t.created[k] = (t.created[k] ?? 0) + n
    for (const [k, n] of Object.entries(s.closed)) t.closed[k] = (t.closed[k] ?? 0) + n
    t.closesPended += s.closesPended
    t.closeCompletionsFired += s.closeCompletionsFired
    t.requestsFlushed += s.requestsFlushed
    t.notificationsCancelled += s.notificationsCancelled
    t.abandoned += s.abandoned
    t.outstanding += s.outstanding
    t.lost += s.lost
    t.strays += s.strays
  }
  return t
}

/** The invariants a clean shutdown must satisfy. */
export const check = (t: Totals, nicRowsLeft: number): Array<string> => {
  const v: Array<string> = []
  if (t.closeCompletionsFired !== t.closesPended) {
    v.push(`${t.closesPended} closes pended but ${t.closeCompletionsFired} close completions fired`)
  }
  for (const [k, n] of Object.entries(t.created)) {
    if ((t.closed[k] ?? 0) !== n) v.push(`${k}: ${n} created, ${t.closed[k] ?? 0} closed`)
  }
  if (t.outstanding !== 0) v.push(`${t.outstanding} operations still tracked after close`)
  if (t.lost !== 0) v.push(`${t.lost} operations lost by the provider (never completed)`)
  if (t.strays !== 0) v.push(`${t.strays} completions with unknown contexts`)
  if (nicRowsLeft !== 0) v.push(`${nicRowsLeft} NIC table rows left after close`)
  return v
}

export const load = (o: LoadOptions) =>
  Effect.gen(function*() {
    const { hosts } = yield* world({ hosts: o.hosts, seed: o.seed, loss: o.loss })
    const objects = yield* Scope.make()
    const size = Math.max(2, Math.min(o.size, 4096))
    const latencies: Array<number> = []
    let requests = 0
    let bytes = 0
    let inFlight = 0
    const setup = Effect.gen(function*() {
      const sides = yield* Effect.forEach(hosts, (h) => side(h, { bytes: 65536, depth: 16 }))
      const pairs: Array<
        {
          readonly c: Ndk.QueuePair
          readonly cm: Ndk.MemoryRegion
          readonly s: Ndk.QueuePair
          readonly sm: Ndk.MemoryRegion
          readonly peer: Ndk.MemoryRegion
        }
      > = []
      for (let i = 0; i < o.hosts; i++) {
        const server = sides[(i + 1) % o.hosts]!
        const listener = yield* server.adapter.listen(addr(server.host.address, 8000 + i))
        for (let q = 0; q < o.qps; q++) {
          const c = yield* extraQp(sides[i]!, { bytes: 2 * size + 64, depth: 16 })
          const s = yield* extraQp(server, { bytes: 2 * size + 64, depth: 16 })
          yield* connect(c, s, 8000 + i, listener)
          pairs.push({ c: c.qp, cm: c.mr, s: s.qp, sm: s.mr, peer: s.mr })
        }
      }
      return pairs
    })
    const pairs = yield* Scope.extend(setup, objects)
    const traffic = Effect.forEach(pairs, (p) =>
      Effect.all([
        // server: answer each request
        Effect.forever(Effect.gen(function*() {
          yield* p.s.receive([p.sm.sge(0, size)])
          yield* p.s.send([p.sm.sge(size, size)])
        })),
        // client: request, wait for the answer; every 4th request also RDMA-writes into the server's buffer
        Effect.forever(Effect.gen(function*() {
          const answer = yield* p.c.postReceive([p.cm.sge(size, size)])
          const t0 = yield* nowUs
          inFlight++
          yield* p.c.send([p.cm.sge(0, size)])
          if (requests % 4 === 0) {
            yield* p.c.write([p.cm.sge(0, size)], p.peer.buffer.address + BigInt(size), p.peer.remoteToken)
            bytes += size
          }
          yield* answer.await
          inFlight--
          latencies.push((yield* nowUs) - t0)
          requests++
          bytes += 2 * size
        }))
      ], { concurrency: "unbounded", discard: true }), { concurrency: "unbounded", discard: true })
    const t0 = yield* nowUs
    const running = yield* Effect.fork(traffic)
    const every = o.progressEveryMs ?? Math.max(1, Math.floor(o.durationMs / 10))
    // the clock moves in small steps so the traffic fibers always run between two wake-ups of this loop
    for (let t = 0; t < o.durationMs; t += every) {
      const end = t0 + (t + Math.min(every, o.durationMs - t)) * 1000
      while ((yield* nowUs) < end) yield* Effect.sleep("20 micros")
      if (o.onProgress !== undefined) {
        const ms = ((yield* nowUs) - t0) / 1000
        yield* o.onProgress(
          `t=${ms.toFixed(1)} ms  requests ${requests}  ${(bytes / 1e6).toFixed(2)} MB  in flight ${inFlight}`
        )
      }
    }
    const virtualMs = ((yield* nowUs) - t0) / 1000
    const inFlightAtShutdown = pairs.reduce((n, p) => n + p.c.outstanding() + p.s.outstanding(), 0)
    // shutdown: interrupt the traffic (waiters are abandoned, work requests stay posted), then close in order
    yield* Fiber.interrupt(running)
    yield* Scope.close(objects, Exit.void)
    const totals = sum(hosts)
    const nicRowsLeft = hosts.reduce((n, h) => n + nicRows(h), 0)
    latencies.sort((a, b) => a - b)
    return {
      requests,
      bytes,
      virtualMs,
      p50Us: percentile(latencies, 50),
      p99Us: percentile(latencies, 99),
      inFlightAtShutdown,
      totals,
      nicRowsLeft,
      violations: check(totals, nicRowsLeft)
    } satisfies LoadReport
  })

export const format = (r: LoadReport): Array<string> => [
  `graceful shutdown under load: ${r.requests} requests in ${
    r.virtualMs.toFixed(1)
  } ms, ${r.inFlightAtShutdown} operations in flight at shutdown`,
  `  closes pended ${r.totals.closesPended}, close completions fired ${r.totals.closeCompletionsFired}, requests flushed ${r.totals.requestsFlushed}, waiters abandoned ${r.totals.abandoned}, NIC rows left ${r.nicRowsLeft}`,
  r.violations.length === 0 ? "  invariants: all hold" : `  VIOLATED: ${r.violations.join("; ")}`
]
