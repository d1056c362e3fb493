/**
 * `npm run bench:lifetime [-- --json]` — same-run ratios for the lifetime kernel (issue 4).
 *
 * - lifetime-request: begin+end of one request as Effect steps vs one bare `Effect.sync` step (≤ 2.2×);
 *   the synchronous twins vs a loop of two plain function calls on a counter object (≤ 2.5×).
 * - W4-kernel: create+close of one scoped object vs `Effect.scoped(Effect.acquireRelease(...))` (≤ 1.1×).
 * - W5: close with N pending requests (completed through the completion path after the close):
 *   per-request cost at N = 10^4 vs N = 10^2 (≤ 1.0×); N = 1 shown against N = 10^2.
 * - successors: a parent with K open successors closed first, then the successors: per-successor cost at
 *   K = 10^4 vs K = 10^2 (≤ 1.3×).
 */
import * as Effect from "effect/Effect"
import type { Result } from "../../../scripts/bench.js"
import { compare, report } from "../../../scripts/bench.js"
import * as Lifetime from "../src/Lifetime.js"
import * as Resource from "../src/Resource.js"

const TYPE_CQ = 3
const TYPE_PD = 6
const TYPE_QP = 2

const quick = process.argv.includes("--quick")
const warmupMs = quick ? 300 : 3000
const rounds = quick ? 3 : 5

// ---------------------------------------------------------------------------------------------------------
// lifetime-request

const kernel = Lifetime.unsafeMake()
const adapter = Lifetime.unsafeCreate(kernel, 1)!
const obj = Lifetime.unsafeCreate(kernel, TYPE_CQ, adapter)!

class Counter {
  n = 0
  inc(): void {
    this.n++
  }
  dec(): void {
    this.n--
  }
}
const counter = new Counter()
let sink = 0

const requestEffect = (ops: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < ops; i++) {
      yield* Lifetime.beginRequest(kernel, obj)
      yield* Lifetime.endRequest(kernel, obj)
    }
  })
const syncEffect = (ops: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < ops; i++) {
      yield* Effect.sync(() => counter.inc())
    }
  })

// ---------------------------------------------------------------------------------------------------------
// W4-kernel

const w4Kernel = Lifetime.unsafeMake()
const w4Parent = Lifetime.unsafeCreate(w4Kernel, 1)!
const w4Value = (ops: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < ops; i++) {
      yield* Effect.scoped(Resource.acquire(w4Kernel, { type: TYPE_PD, parent: w4Parent }))
    }
  })
const w4Baseline = (ops: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < ops; i++) {
      yield* Effect.scoped(Effect.acquireRelease(Effect.sync(() => ({})), () => Effect.void))
    }
  })

// ---------------------------------------------------------------------------------------------------------
// W5: close with N pending requests

const w5Kernel = Lifetime.unsafeMake()
const w5Parent = Lifetime.unsafeCreate(w5Kernel, 1)!
const noop = Effect.void
const closeCompletion = () => noop
/** `requests` requests in total, in closes of `n` pending requests each. */
const w5 = (n: number) => (requests: number) =>
  Effect.runPromise(Effect.gen(function*() {
    const cycles = Math.max(1, Math.floor(requests / n))
    for (let c = 0; c < cycles; c++) {
      const o = Lifetime.unsafeCreate(w5Kernel, TYPE_QP, w5Parent)!
      for (let i = 0; i < n; i++) Lifetime.unsafeBeginRequest(w5Kernel, o)
      yield* Lifetime.close(w5Kernel, o, { completion: closeCompletion })
      // the provider's delivery path completes them (STATUS_CANCELLED) after the close returned
      for (let i = 0; i < n; i++) yield* Lifetime.complete(w5Kernel, o, noop)
      if (o.state !== 3) throw new Error("W5: close did not complete")
    }
  }))

// ---------------------------------------------------------------------------------------------------------
// successors: parent closed first, then its K successors

const sKernel = Lifetime.unsafeMake()
const successors = (k: number) => (total: number) =>
  Effect.runPromise(Effect.gen(function*() {
    const cycles = Math.max(1, Math.floor(total / k))
    const kids: Array<Lifetime.LifetimeObject> = new Array(k)
    for (let c = 0; c < cycles; c++) {
      const parent = Lifetime.unsafeCreate(sKernel, TYPE_PD)!
      for (let i = 0; i < k; i++) kids[i] = Lifetime.unsafeCreate(sKernel, TYPE_QP, parent)!
      yield* Lifetime.close(sKernel, parent, { completion: closeCompletion })
      for (let i = 0; i < k; i++) yield* Lifetime.close(sKernel, kids[i])
      yield* Lifetime.awaitClosed(parent)
    }
  }))

const main = async () => {
  const results: Array<Result> = []
  results.push(
    await compare({
      bench: "lifetime-request",
      metric: "ns/req Effect begin+end vs Effect.sync",
      value: (ops) => Effect.runSync(requestEffect(ops)),
      baseline: (ops) => Effect.runSync(syncEffect(ops)),
      ops: 200_000,
      kind: "time",
      target: "<= 2.2",
      warmupMs,
      rounds
    })
  )
  results.push(
    await compare({
      bench: "lifetime-request",
      metric: "ns/req unsafe begin+end vs 2 calls",
      value: (ops) => {
        for (let i = 0; i < ops; i++) {
          Lifetime.unsafeBeginRequest(kernel, obj)
          if (Lifetime.unsafeEndRequest(kernel, obj)) sink++
        }
      },
      baseline: (ops) => {
        for (let i = 0; i < ops; i++) {
          counter.inc()
          counter.dec()
        }
        sink += counter.n
      },
      ops: 5_000_000,
      kind: "time",
      target: "<= 2.5",
      warmupMs,
      rounds
    })
  )
  results.push(
    await compare({
      bench: "W4-kernel",
      metric: "ns/object scoped create+close",
      value: (ops) => Effect.runSync(w4Value(ops)),
      baseline: (ops) => Effect.runSync(w4Baseline(ops)),
      ops: 50_000,
      kind: "time",
      target: "<= 1.1",
      warmupMs,
      rounds
    })
  )
  results.push(
    await compare({
      bench: "W5",
      metric: "ns/req close N=1 vs N=10^2",
      value: w5(1),
      baseline: w5(100),
      ops: 20_000,
      kind: "time",
      target: "(info)",
      warmupMs,
      rounds
    })
  )
  results.push(
    await compare({
      bench: "W5",
      metric: "ns/req close N=10^4 vs N=10^2",
      value: w5(10_000),
      baseline: w5(100),
      ops: 200_000,
      kind: "time",
      target: "<= 1.0",
      warmupMs,
      rounds
    })
  )
  results.push(
    await compare({
      bench: "successors",
      metric: "ns/successor K=10^4 vs K=10^2",
      value: successors(10_000),
      baseline: successors(100),
      ops: 100_000,
      kind: "time",
      target: "<= 1.3",
      warmupMs,
      rounds
    })
  )
  if (sink === -1) process.stdout.write("unreachable\n")
  report("lifetime (same-run ratios; best of " + rounds + ")", results)
}

main().catch((e) => {
  process.stderr.write(String(e) + "\n")
  process.exitCode = 1
})
