/**
 * Composition at the application level: `Effect.Service`s that other services depend on.
 *
 * - `Cluster` owns the simulated hosts (scoped: they stop with the layer);
 * - `Echo` depends on `Cluster`: it connects host 1 to host 2 and runs an echo responder on host 2; its API is
 *   `roundTrip(bytes)`, an Effect that resolves with the answer's size;
 * - `LatencyProbe` depends on `Echo`: it measures round trips and reports percentiles.
 *
 * Each service declares its `dependencies`, so `LatencyProbe.Default` is a complete layer.
 */
import { Effect } from "effect"
import { connect, nowUs, percentile, side, world } from "./World.js"

export class Cluster extends Effect.Service<Cluster>()("examples/Cluster", {
  scoped: world({ hosts: 2, seed: 11 })
}) {}

export class Echo extends Effect.Service<Echo>()("examples/Echo", {
  scoped: Effect.gen(function*() {
    const { hosts } = yield* Cluster
    const client = yield* side(hosts[0]!)
    const server = yield* side(hosts[1]!)
    yield* connect(client, server, 9000)
    yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
      const got = yield* server.qp.receive([server.mr.sge(0, 4096)])
      yield* server.qp.send([server.mr.sge(0, Math.max(1, got.bytesTransferred))])
    })))
    const roundTrip = (bytes: number) =>
      Effect.gen(function*() {
        const answer = yield* client.qp.postReceive([client.mr.sge(4096, 4096)])
        yield* client.qp.send([client.mr.sge(0, bytes)])
        return (yield* answer.await).bytesTransferred
      })
    return { roundTrip } as const
  }),
  dependencies: [Cluster.Default]
}) {}

export class LatencyProbe extends Effect.Service<LatencyProbe>()("examples/LatencyProbe", {
  effect: Effect.gen(function*() {
    const echo = yield* Echo
    const measure = (rounds: number, bytes: number) =>
      Effect.gen(function*() {
        const samples: Array<number> = []
        for (let i = 0; i < rounds; i++) {
          const t0 = yield* nowUs
          const n = yield* echo.roundTrip(bytes)
          if (n !== bytes) return yield* Effect.dieMessage(`echo answered ${n} bytes, expected ${bytes}`)
          samples.push((yield* nowUs) - t0)
        }
        samples.sort((a, b) => a - b)
        return { p50Us: percentile(samples, 50), p99Us: percentile(samples, 99) }
      })
    return { measure } as const
  }),
  dependencies: [Echo.Default]
}) {}
