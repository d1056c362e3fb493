/**
 * Example 1 — ping-pong: two hosts, 2-byte sends back and forth; latency percentiles of the round trip (virtual
 * time). The responder keeps one receive posted ahead; the initiator posts its receive before each ping.
 */
import { Effect, Fiber } from "effect"
import { connect, nowUs, percentile, side, world } from "./World.js"

export interface PingPongOptions {
  readonly rounds: number
  readonly size?: number
  readonly seed?: number
  readonly loss?: number
}

export interface PingPongReport {
  readonly rounds: number
  readonly p50Us: number
  readonly p90Us: number
  readonly p99Us: number
  readonly maxUs: number
}

export const pingPong = (o: PingPongOptions) =>
  Effect.gen(function*() {
    const size = o.size ?? 2
    const { hosts } = yield* world({ hosts: 2, seed: o.seed ?? 1, loss: o.loss ?? 0 })
    const a = yield* side(hosts[0]!)
    const b = yield* side(hosts[1]!)
    yield* connect(a, b, 7000)
    const responder = yield* Effect.fork(Effect.gen(function*() {
      let next = yield* b.qp.postReceive([b.mr.sge(0, size)])
      for (let i = 0; i < o.rounds; i++) {
        yield* next.await
        next = yield* b.qp.postReceive([b.mr.sge(0, size)])
        yield* b.qp.send([b.mr.sge(0, size)])
      }
    }))
    const samples: Array<number> = []
    for (let i = 0; i < o.rounds; i++) {
      a.mr.buffer.bytes[0] = i & 255
      const pong = yield* a.qp.postReceive([a.mr.sge(4096, size)])
      const t0 = yield* nowUs
      yield* a.qp.send([a.mr.sge(0, size)])
      yield* pong.await
      samples.push((yield* nowUs) - t0)
    }
    yield* Fiber.join(responder)
    samples.sort((x, y) => x - y)
    return {
      rounds: o.rounds,
      p50Us: percentile(samples, 50),
      p90Us: percentile(samples, 90),
      p99Us: percentile(samples, 99),
      maxUs: samples[samples.length - 1] ?? 0
    } satisfies PingPongReport
  })

export const format = (r: PingPongReport): Array<string> => [
  `ping-pong: ${r.rounds} round trips of 2-byte sends (virtual time)`,
  `  p50 ${r.p50Us} µs   p90 ${r.p90Us} µs   p99 ${r.p99Us} µs   max ${r.maxUs} µs`
]
