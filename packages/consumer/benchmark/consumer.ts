/**
 * `npm run bench:consumer [-- --json] [-- --quick]` — same-run ratios for the consumer API (issue 7).
 *
 * - W2: median round trip (every round trip timed, median over all rounds) of a 2-byte ping-pong through the
 *   consumer API (two simulated hosts on a zero-latency fabric, one connection) against a plain-Promise ping-pong
 *   with two microtask hops per round trip. Target ≤ 10×. Shape: one wake-up per side per round trip, as a
 *   latency-minded application would write it with the API's batch form. The client's round trip is one
 *   `qp.batch([Receive answer, Send ping])` (the receive posted before the ping goes out); the server, one
 *   long-lived fiber, answers each ping with `qp.batch([Receive next ping, Send answer])`. A batch resumes once,
 *   when its last completion is in, so the client wakes when the answer arrives and the server when the next ping
 *   does; both completions of every batch (send and receive, signaled) are checked — status, and 2 bytes received —
 *   before the next round trip. No polling loop, no unsignaled send.
 * - W2-floor (info): the same exchange with no NIC, provider or consumer — one `Effect.async` resume per side per
 *   round trip (no canceler, like the consumer's waits), each woken from a plain microtask as the NIC driver's run
 *   wakes it — against the same yardstick: what W2 cannot go below with Effect fibers.
 * - W4: create + connect + close of a QP through the consumer API (the server accepts each connection on a fresh
 *   QP and closes it when the peer goes) against `Effect.scoped(Effect.acquireRelease(...))`. Target ≤ 20×.
 * - W4-leaks: after 10^5 cycles (`--quick`: 10^4) the live fibers, the consumer's tracked operations and open
 *   objects, and the NIC table rows are counted against the counts before the cycles. Target: 0.
 */
import { HostMemoryTag } from "@effect-ndk/consumer/HostMemory"
import * as Ndk from "@effect-ndk/consumer/Ndk"
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import * as SockAddr from "@effect-ndk/ndkpi/SockAddr"
import * as NdkProvider from "@effect-ndk/provider/NdkProvider"
import { Context, Effect, Exit, Fiber, Layer, Scope } from "effect"
import { performance } from "node:perf_hooks"
import type { Result } from "../../../scripts/bench.js"
import { compare, compareMedian, derived, report } from "../../../scripts/bench.js"

const quick = process.argv.includes("--quick")
const warmupMs = quick ? 300 : 2000
const rounds = quick ? 3 : 5
/**
 * W4's rounds: a round of the yardstick lasts a few ms (200 scoped acquire/release), so on a shared machine one
 * preemption or GC spoils it; more alternating rounds let the best-round estimate of both sides settle (~1 s)
 */
const w4Rounds = 3 * rounds
const cycles = quick ? 10_000 : 100_000
/** `--only=W2` / `--only=W4` runs just that comparison, `--only=leaks` just the leak count (for profiling) */
const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length)

const addr = (n: number, port: number) => SockAddr.ipv4Addr(`10.0.0.${n}`, port)
const FLAGS = NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE | NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_READ

const hostLayer = (address: number) => {
  const nic = Layer.scoped(
    Nic.Nic,
    Nic.make({ address, config: { hostMemoryBytes: 1 << 20, deviceMemoryBytes: 1 << 18 } })
  )
  const below = Layer.merge(NdkProvider.layer(), Layer.effect(HostMemoryTag, Effect.map(Nic.Nic, (n) => n.memory)))
  return Ndk.layer.pipe(Layer.provide(below), Layer.provideMerge(nic))
}

const world = Effect.gen(function*() {
  const fabric = yield* Fabric.make({ memoryBytes: 8 << 20 })
  const hosts = []
  for (const address of [1, 2]) {
    const ctx = yield* Layer.build(hostLayer(address).pipe(Layer.provide(Layer.succeed(Fabric.Fabric, fabric))))
    hosts.push({ ndk: Context.get(ctx, Ndk.Ndk), nic: Context.get(ctx, Nic.Nic) })
  }
  const sides = yield* Effect.forEach(hosts, (h) =>
    Effect.gen(function*() {
      const adapter = yield* h.ndk.openAdapter()
      const pd = yield* adapter.createPd
      const cq = yield* adapter.createCq(256)
      const mr = yield* pd.registerMemory(4096, FLAGS)
      return { ...h, adapter, pd, cq, mr }
    }))
  return sides
})

const main = async () => {
  const scope = Effect.runSync(Scope.make())
  const [a, b] = await Effect.runPromise(Scope.extend(world, scope))
  const qpOf = (s: typeof a, scope: Scope.Scope) =>
    Scope.extend(
      s!.pd.createQp({ receiveCq: s!.cq, initiatorCq: s!.cq, receiveQueueDepth: 16, initiatorQueueDepth: 16 }),
      scope
    )

  // ---- W2: one long-lived connection ------------------------------------------------------------------
  const listener = await Effect.runPromise(Scope.extend(b!.adapter.listen(addr(2, 5000)), scope))
  const qa = await Effect.runPromise(qpOf(a, scope))
  const qb = await Effect.runPromise(qpOf(b, scope))
  const accepting = Effect.runFork(Scope.extend(Effect.flatMap(listener.incoming, (r) => r.accept(qb)), scope))
  await Effect.runPromise(Scope.extend(a!.adapter.connect(qa, addr(1, 0), addr(2, 5000)), scope))
  await Effect.runPromise(Fiber.join(accepting))
  const ping = [a!.mr.sge(0, 2)]
  const pongBuf = [a!.mr.sge(64, 2)]
  const srvIn = [b!.mr.sge(0, 2)]
  const srvOut = [b!.mr.sge(64, 2)]
  /** every completion of a round trip is checked: success, and 2 bytes received */
  const check = (cs: ReadonlyArray<Ndk.Completion>) => {
    if (cs[0]!.status !== 0 || cs[1]!.status !== 0 || cs[0]!.bytesTransferred !== 2) {
      throw new Error(`W2: bad completion ${cs[0]!.status} ${cs[1]!.status} ${cs[0]!.bytesTransferred}`)
    }
  }
  // the server: its first receive is posted ahead; then each answer goes out in one batch with the receive of the
  // next ping (posted first), awaited together — the batch resumes once the next ping is in
  const answer: ReadonlyArray<Ndk.WorkRequest> = [{ _tag: "Receive", sgl: srvIn }, { _tag: "Send", sgl: srvOut }]
  Effect.runFork(Effect.gen(function*() {
    const first = yield* qb.postReceive(srvIn)
    yield* first.await
    for (;;) check(yield* qb.batch(answer))
  }))
  // the client: each round trip is one batch, the receive of the answer posted before the ping
  const exchange: ReadonlyArray<Ndk.WorkRequest> = [{ _tag: "Receive", sgl: pongBuf }, { _tag: "Send", sgl: ping }]
  const roundTrips = (ops: number, out: Float64Array) =>
    Effect.gen(function*() {
      for (let i = 0; i < ops; i++) {
        const t = performance.now()
        check(yield* qa.batch(exchange))
        out[i] = performance.now() - t
      }
    })
  const promisePingPong = async (ops: number, out: Float64Array) => {
    for (let i = 0; i < ops; i++) {
      const t = performance.now()
      await new Promise<void>((resolve) => {
        // ping hop, then pong hop
        queueMicrotask(() => queueMicrotask(resolve))
      })
      out[i] = performance.now() - t
    }
  }
  const results: Array<Result> = []
  if (only === undefined || only === "W2") {
    results.push(
      await compareMedian({
        bench: "W2",
        metric: "ns/round trip (median) 2-byte ping-pong vs 2 microtask hops",
        value: (ops, out) => Effect.runPromise(roundTrips(ops, out)),
        baseline: promisePingPong,
        ops: 2000,
        target: "<= 10",
        warmupMs,
        rounds
      })
    )
  }

  // ---- W2-floor: W2's shape with no NIC, provider or consumer work ---------------------------------------
  // one Effect.async resume per side per round trip (the client waits for the answer, the server for the next
  // ping), each wake-up coming from a plain microtask (as the NIC driver's run delivers it), the waits registering
  // no canceler (as the consumer's): what any Effect-fiber API costs for this exchange, whatever sits below it.
  const floor = (() => {
    /** a one-slot wake-up cell: a signal before the wait is kept (like an operation completing before its await) */
    const cell = () => {
      let resume: ((e: Effect.Effect<void>) => void) | undefined
      let ready = false
      return {
        signal: () => {
          const r = resume
          resume = undefined
          if (r !== undefined) r(Effect.void)
          else ready = true
        },
        wait: Effect.async<void>((r) => {
          if (ready) {
            ready = false
            r(Effect.void)
          } else resume = r
        })
      }
    }
    const ping = cell()
    const pong = cell()
    // the server: each "driver run" (one microtask) delivers its answer
    const answer = Effect.zipRight(ping.wait, Effect.sync(() => queueMicrotask(pong.signal)))
    const serve: Effect.Effect<void> = Effect.flatMap(answer, () => serve)
    Effect.runFork(serve)
    const exchange = Effect.zipRight(Effect.sync(() => queueMicrotask(ping.signal)), pong.wait)
    return (ops: number, out: Float64Array) =>
      Effect.gen(function*() {
        for (let i = 0; i < ops; i++) {
          const t = performance.now()
          yield* exchange
          out[i] = performance.now() - t
        }
      })
  })()
  if (only === undefined || only === "W2") {
    results.push(
      await compareMedian({
        bench: "W2-floor",
        metric: "ns/round trip (median) 2 Effect.async resumes, no NIC vs 2 microtask hops",
        value: (ops, out) => Effect.runPromise(floor(ops, out)),
        baseline: promisePingPong,
        ops: 2000,
        target: "(info)",
        warmupMs,
        rounds
      })
    )
  }

  if (only === "W2") {
    report("consumer (issue 7): W2 only", results)
    process.exit(0)
  }
  // ---- W4: create + connect + close ---------------------------------------------------------------------
  const l4 = await Effect.runPromise(Scope.extend(b!.adapter.listen(addr(2, 5001)), scope))
  // the server: accept each request on a fresh QP, close it when the peer goes
  Effect.runFork(Effect.forever(Effect.scoped(Effect.gen(function*() {
    const req = yield* l4.incoming
    const qp = yield* b!.pd.createQp({
      receiveCq: b!.cq,
      initiatorCq: b!.cq,
      receiveQueueDepth: 4,
      initiatorQueueDepth: 4
    })
    const c = yield* req.accept(qp)
    yield* c.disconnected
  }))))
  const cycle = Effect.scoped(Effect.gen(function*() {
    const qp = yield* a!.pd.createQp({
      receiveCq: a!.cq,
      initiatorCq: a!.cq,
      receiveQueueDepth: 4,
      initiatorQueueDepth: 4
    })
    yield* a!.adapter.connect(qp, addr(1, 0), addr(2, 5001))
  }))
  let total = 0
  const cyclesOf = (ops: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < ops; i++) {
        yield* Effect.tapError(cycle, (e) => Effect.sync(() => console.log("cycle", total, e._tag)))
        total++
      }
    })
  const baseline = (ops: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < ops; i++) {
        yield* Effect.scoped(Effect.acquireRelease(Effect.sync(() => ({})), () => Effect.void))
      }
    })
  if (only === undefined || only === "W4") {
    results.push(
      await compare({
        bench: "W4",
        metric: "ns/cycle create+connect+close QP vs acquireRelease",
        value: (ops) => Effect.runPromise(cyclesOf(ops)),
        baseline: (ops) => Effect.runPromise(baseline(ops)),
        ops: 200,
        kind: "time",
        target: "<= 20",
        warmupMs,
        rounds: w4Rounds
      })
    )
  }
  if (only === "W4") {
    report("consumer (issue 7): W4 only", results)
    process.exit(0)
  }

  // ---- W4 leaks ---------------------------------------------------------------------------------------------
  const settle = async () => {
    // provider timers (connection-manager retransmission / time-wait) run out in real time here: let them
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r))
    await new Promise((r) => setTimeout(r, 3000))
  }
  const count = async () => {
    await settle()
    const fibers = (await Effect.runPromise(Fiber.roots)).length
    const rows = [a!, b!].reduce((n, h) => {
      const s = h.nic.stats()
      return n + s.pds + s.mrs + s.mws + s.qps + s.cqs + s.srqs
    }, 0)
    const open = [a!, b!].reduce((n, h) => {
      const s = h.ndk.unsafeStats()
      const created = Object.values(s.created).reduce((x, y) => x + y, 0)
      const closed = Object.values(s.closed).reduce((x, y) => x + y, 0)
      return n + created - closed + s.outstanding
    }, 0)
    return { fibers, rows, open }
  }
  // a few cycles first, so the long-lived fibers (one connection delivery lane per host, started by the first
  // connection event) exist in both counts whether or not W4 ran before (`--only=leaks`)
  await Effect.runPromise(cyclesOf(100))
  const before = await count()
  await Effect.runPromise(cyclesOf(cycles))
  const after = await count()
  results.push(
    derived(
      "W4-leaks",
      `live fibers after ${cycles} cycles (before → after)`,
      after.fibers - before.fibers + 1,
      1,
      "<= 1"
    )
  )
  results.push(derived("W4-leaks", `NIC table rows after ${cycles} cycles`, after.rows - before.rows + 1, 1, "<= 1"))
  results.push(
    derived("W4-leaks", `open objects + tracked ops after ${cycles} cycles`, after.open - before.open + 1, 1, "<= 1")
  )
  report("consumer (issue 7): W2 ping-pong, W4 QP lifecycle; W4-leaks: value = 1 + growth (1 = no leak)", results)
  await Effect.runPromise(Scope.close(scope, Exit.void))
  process.exit(0)
}

main()
