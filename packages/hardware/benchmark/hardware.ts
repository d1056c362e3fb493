/**
 * Wall-clock cost of the simulation itself (link model: no latency, no bandwidth cap), engine driven from
 * Effect as in production, each against a plain yardstick run alternately in the same process.
 *
 *   W1  RDMA-write bandwidth, one QP, MTU 4096, 16 writes outstanding (64 KiB, 256 KiB, 1 MiB)
 *       vs Buffer.copy of the whole message between the same two buffers
 *   W3  64-byte signaled sends, receives pre-posted, 1 QP and 4096 QPs round robin
 *       vs a synchronous loop of 64-byte Buffer.copy into distinct receive buffers + one ring write
 *   W2-nic  2-byte ping-pong median round trip NIC-only (the floor of the consumer's W2), info
 *       vs a plain-Promise round trip (two microtask hops)
 *   W6  goodput at 1% loss vs lossless (virtual time)
 *   mem bytes per idle QP
 *
 * Usage: npm run bench:hardware [-- --json] [-- --quick]
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scheduler from "effect/Scheduler"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as TestContext from "effect/TestContext"
import { performance } from "node:perf_hooks"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { compare, compareMedian, derived, report } from "../../../scripts/bench.js"
import type { Result } from "../../../scripts/bench.js"
import * as Fabric from "../src/Fabric.js"
import * as Nic from "../src/Nic.js"
import { Access, Arm } from "../src/NicCode.js"

const quick = process.argv.includes("--quick")
const warmupMs = quick ? 300 : 1500
const rounds = quick ? 3 : 5
/** profiling aid: skip the yardstick side */
const noBase = process.argv.includes("--no-baseline")

interface Side {
  readonly nic: Nic.Nic
  readonly pd: number
  readonly cq: number
  readonly rcq: number
  readonly qps: Array<number>
  readonly buf: number
  readonly key: number
}

/**
 * The measured programs run on a microtask scheduler that gives the event loop a turn with setImmediate: Effect's
 * default scheduler falls back to setTimeout(0) (≥ 1 ms idle in Node) after 2048 microtask batches.
 */
const benchScheduler = (() => {
  let depth = 0
  return Scheduler.makeBatched((run) => {
    if (++depth % 256 === 0) setImmediate(run)
    else queueMicrotask(run)
  })
})()
const runMeasured = <A, E>(eff: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromise(Effect.withScheduler(eff, benchScheduler))

const scope = Effect.runSync(Scope.make())
const inScope = <A, E>(eff: Effect.Effect<A, E, Scope.Scope>): Promise<A> => Effect.runPromise(Scope.extend(eff, scope))

const setup = (options: {
  readonly qps: number
  readonly sqDepth: number
  readonly rqDepth: number
  readonly bufBytes: number
  readonly cqDepth: number
  readonly fabric?: Fabric.FabricOptions
  readonly config?: Partial<Nic.NicConfig>
  readonly onCq?: () => void
  /** receive-CQ notification handler of the side at `address` */
  readonly onRecvCq?: (address: number) => (() => void) | undefined
}) =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: 512 * 1024 * 1024, ...options.fabric })
    const config: Partial<Nic.NicConfig> = {
      hostMemoryBytes: options.bufBytes + 1024 * 1024,
      deviceMemoryBytes: 1024 * 1024,
      ...options.config
    }
    const mk = (address: number) =>
      Effect.gen(function*() {
        const nic = yield* Effect.provideService(Nic.make({ address, config }), Fabric.Fabric, fabric)
        const pd = yield* nic.allocPd
        const notify = options.onCq
        const cq = yield* nic.createCq(options.cqDepth, notify ? { sync: notify } : undefined)
        const onRecv = options.onRecvCq?.(address)
        const rcq = yield* nic.createCq(options.cqDepth, onRecv ? { sync: onRecv } : undefined)
        const qps: Array<number> = []
        for (let i = 0; i < options.qps; i++) {
          qps.push(
            yield* nic.createQp({
              pd,
              sendCq: cq,
              recvCq: rcq,
              sqDepth: options.sqDepth,
              rqDepth: options.rqDepth,
              maxSendSge: 1,
              maxRecvSge: 1,
              maxInline: 0
            })
          )
        }
        const buf = nic.memory.alloc(options.bufBytes, 4096)
        const mr = yield* nic.createMr(pd)
        yield* nic.registerMr(mr, buf, options.bufBytes, Access.REMOTE_WRITE | Access.REMOTE_READ | Access.READ_SINK)
        return { nic, pd, cq, rcq, qps, buf, key: nic.mrKey(mr) } satisfies Side
      })
    const a = yield* mk(1)
    const b = yield* mk(2)
    for (let i = 0; i < options.qps; i++) {
      yield* a.nic.connectQp(a.qps[i]!, { remoteAddress: 2, remoteQpn: b.qps[i]!, ird: 16, ord: 16 })
      yield* b.nic.connectQp(b.qps[i]!, { remoteAddress: 1, remoteQpn: a.qps[i]!, ird: 16, ord: 16 })
    }
    return { fabric, a, b }
  })

/** A one-shot waiter resumed by the CQ notification handler. */
const makeWaiter = () => {
  // the resume itself is kept (no closure per wait: under tsx every named closure also costs a `__name` call)
  let resume: ((effect: Effect.Effect<void>) => void) | undefined
  const wait = Effect.async<void>((r) => {
    resume = r
  })
  const notify = () => {
    const r = resume
    resume = undefined
    if (r !== undefined) r(Effect.void)
  }
  return { wait, notify }
}

// ---------------------------------------------------------------------------------------------------------------
// W1

const w1 = async (size: number): Promise<Result> => {
  const outstanding = 16
  const waiter = makeWaiter()
  const env = await inScope(setup({
    qps: 1,
    sqDepth: 64,
    rqDepth: 4,
    bufBytes: size,
    cqDepth: 256,
    onCq: waiter.notify
  }))
  const { a, b } = env
  const results = new Nic.CqResults(64)
  const sgl = new Nic.Sgl(1).one(a.buf, size, a.key)
  const qp = a.qps[0]!
  const program = (ops: number) =>
    Effect.gen(function*() {
      let posted = 0
      let done = 0
      while (done < ops) {
        while (posted - done < outstanding && posted < ops) {
          const rc = a.nic.postWrite(qp, null, sgl, 0, b.buf, b.key)
          if (rc !== 0) throw new Error(`post failed ${rc}`)
          posted++
        }
        let n = a.nic.pollCq(a.cq, results)
        if (n === 0) {
          a.nic.armCq(a.cq, Arm.NEXT)
          n = a.nic.pollCq(a.cq, results)
          if (n === 0) {
            yield* waiter.wait
            n = a.nic.pollCq(a.cq, results)
          }
        }
        for (let i = 0; i < n; i++) if (results.status[i] !== 0) throw new Error(`completion ${results.status[i]}`)
        done += n
      }
    })
  const src = Buffer.alloc(size, 1)
  const dst = Buffer.alloc(size)
  const ops = Math.max(16, Math.round((quick ? 32 : 128) * (1024 * 1024) / size / 4))
  return compare({
    bench: "W1",
    metric: `writes/s ${size >> 10}KiB`,
    kind: "rate",
    ops,
    value: () => runMeasured(program(ops)),
    baseline: (n) => {
      if (noBase) return
      for (let i = 0; i < n; i++) src.copy(dst, 0, 0, size)
    },
    target: size >= 1024 * 1024 ? ">= 0.75" : ">= 0.5",
    warmupMs,
    rounds
  })
}

// ---------------------------------------------------------------------------------------------------------------
// W3

const w3 = async (nq: number, depth: number): Promise<{ result: Result; rate: number }> => {
  const waiter = makeWaiter()
  const msg = 64
  const slots = Math.max(1024, nq * 2)
  const env = await inScope(setup({
    qps: nq,
    sqDepth: depth,
    rqDepth: depth,
    bufBytes: slots * msg,
    cqDepth: Math.max(4096, nq * depth * 2),
    onCq: waiter.notify
  }))
  const { a, b } = env
  const results = new Nic.CqResults(4096)
  const rresults = new Nic.CqResults(4096)
  const sgl = new Nic.Sgl(1)
  const rsgl = new Nic.Sgl(1)
  const perRound = nq * depth
  // receives pre-posted: every receive queue full
  const prepost = () => {
    for (let q = 0; q < nq; q++) {
      for (let k = 0; k < depth; k++) {
        const slot = (q * depth + k) % slots
        const rc = b.nic.postReceive(b.qps[q]!, null, rsgl.one(b.buf + slot * msg, msg, b.key))
        if (rc !== 0) throw new Error(`recv post ${rc}`)
      }
    }
  }
  prepost()
  const program = (ops: number) =>
    Effect.gen(function*() {
      let done = 0
      let sent = 0
      while (done < ops) {
        // one round: one send per receive slot, round robin over the QPs
        const batch = Math.min(perRound, ops - sent)
        // QP and source slot advance round robin (wrapping counters)
        let q = 0
        let slot = 0
        for (let i = 0; i < batch; i++) {
          const rc = a.nic.postSend(a.qps[q]!, null, sgl.one(a.buf + slot * msg, msg, a.key), 0)
          if (rc !== 0) throw new Error(`send post ${rc}`)
          if (++q === nq) q = 0
          if (++slot === slots) slot = 0
        }
        sent += batch
        let got = 0
        while (got < batch) {
          let n = a.nic.pollCq(a.cq, results)
          if (n === 0) {
            a.nic.armCq(a.cq, Arm.NEXT)
            n = a.nic.pollCq(a.cq, results)
            if (n === 0) {
              yield* waiter.wait
              n = a.nic.pollCq(a.cq, results)
            }
          }
          got += n
        }
        // consume the receive completions and re-post the receives (the "pre-posted" state for the next round)
        let r = 0
        while (r < batch) {
          const n = b.nic.pollCq(b.rcq, rresults)
          if (n === 0) {
            yield* Effect.yieldNow()
            continue
          }
          let q = r % nq
          let slot = r % slots
          for (let k = 0; k < n; k++) {
            b.nic.postReceive(b.qps[q]!, null, rsgl.one(b.buf + slot * msg, msg, b.key))
            if (++q === nq) q = 0
            if (++slot === slots) slot = 0
          }
          r += n
        }
        done += batch
      }
    })
  const src = Buffer.alloc(msg, 3)
  const recvBufs: Array<Buffer> = []
  for (let i = 0; i < slots; i++) recvBufs.push(Buffer.alloc(msg))
  const ring = new Float64Array(4096)
  const ops = perRound * Math.max(1, Math.round((quick ? 8192 : 65536) / perRound))
  const result = await compare({
    bench: "W3",
    metric: `sends/s ${nq} QP`,
    kind: "rate",
    ops,
    value: () => runMeasured(program(ops)),
    baseline: (n) => {
      if (noBase) return
      for (let i = 0; i < n; i++) {
        src.copy(recvBufs[i % slots]!, 0, 0, msg)
        ring[i & 4095] = i
      }
    },
    target: ">= 0.6",
    warmupMs,
    rounds
  })
  return { result, rate: result.value }
}

// ---------------------------------------------------------------------------------------------------------------
// W2-nic: the NIC-only floor of the consumer's W2 (2-byte ping-pong round trip)
//
// The consumer's W2 exchange at the NIC interface: each side posts the receive of the next message, then its send
// (signaled), and waits once per round trip — for the message from its peer; its own send's completion (which
// arrived earlier, with the ACK) is then polled and checked. One Effect.async resume per side per round trip,
// woken by the receive CQ's synchronous event handler; no fiber, Effect.gen or yield per step beyond the wait.

const w2nic = async (): Promise<Result> => {
  const waiters = [makeWaiter(), makeWaiter()]
  const env = await inScope(setup({
    qps: 1,
    sqDepth: 16,
    rqDepth: 16,
    bufBytes: 4096,
    cqDepth: 256,
    onRecvCq: (address) => waiters[address - 1]!.notify
  }))
  const { a, b } = env
  const sgl = new Nic.Sgl(1).one(a.buf, 2, a.key)
  const rsgl = new Nic.Sgl(1).one(a.buf + 64, 2, a.key)
  const bsgl = new Nic.Sgl(1).one(b.buf, 2, b.key)
  const bout = new Nic.Sgl(1).one(b.buf + 64, 2, b.key)
  const ra = new Nic.CqResults(16)
  const rb = new Nic.CqResults(16)
  /** one receive completion on `side`'s receive CQ (poll, arm, poll, wait), then its send's completion */
  const exchange = (side: Side, out: Nic.CqResults, waiter: ReturnType<typeof makeWaiter>): Effect.Effect<void> => {
    const sent = () => {
      if (side.nic.pollCq(side.cq, out, 1) !== 1 || out.status[0] !== 0) throw new Error("W2-nic send completion")
    }
    const step: Effect.Effect<void> = Effect.suspend(() => {
      let n = side.nic.pollCq(side.rcq, out, 1)
      if (n === 0) {
        side.nic.armCq(side.rcq, Arm.NEXT)
        n = side.nic.pollCq(side.rcq, out, 1)
        if (n === 0) return Effect.zipRight(waiter.wait, step)
      }
      if (out.status[0] !== 0 || out.bytes[0] !== 2) throw new Error(`W2-nic completion ${out.status[0]}`)
      sent()
      return Effect.void
    })
    return step
  }
  const answered = exchange(b, rb, waiters[1]!)
  const pinged = exchange(a, ra, waiters[0]!)
  // the server: answers every ping (the next ping's receive posted before the answer goes out)
  if (b.nic.postReceive(b.qps[0]!, null, bsgl) !== 0) throw new Error("W2-nic recv post")
  const firstPing: Effect.Effect<void> = Effect.suspend(() => {
    const n = b.nic.pollCq(b.rcq, rb, 1)
    if (n === 1) return Effect.void
    b.nic.armCq(b.rcq, Arm.NEXT)
    return b.nic.pollCq(b.rcq, rb, 1) === 1 ? Effect.void : Effect.zipRight(waiters[1]!.wait, firstPing)
  })
  const answer = Effect.sync(() => {
    b.nic.postReceive(b.qps[0]!, null, bsgl)
    b.nic.postSend(b.qps[0]!, null, bout, 0)
  })
  const serve: Effect.Effect<void> = Effect.flatMap(Effect.zipRight(answer, answered), () => serve)
  const run = process.argv.includes("--default-scheduler") ? Effect.runPromise : runMeasured
  run(Effect.zipRight(firstPing, serve))
  const program = (ops: number, out: Float64Array) =>
    Effect.gen(function*() {
      for (let i = 0; i < ops; i++) {
        const t = performance.now()
        a.nic.postReceive(a.qps[0]!, null, rsgl)
        a.nic.postSend(a.qps[0]!, null, sgl, 0)
        yield* pinged
        out[i] = performance.now() - t
      }
    })
  return compareMedian({
    bench: "W2-nic",
    metric: "ns/round trip (median) NIC-only 2-byte ping-pong vs 2 microtask hops",
    value: (ops, out) => run(program(ops, out)),
    baseline: async (ops, out) => {
      if (noBase) return
      for (let i = 0; i < ops; i++) {
        const t = performance.now()
        await new Promise<void>((resolve) => queueMicrotask(() => queueMicrotask(resolve)))
        out[i] = performance.now() - t
      }
    },
    ops: 2000,
    target: "(info)",
    warmupMs,
    rounds
  })
}

// ---------------------------------------------------------------------------------------------------------------
// W6 (virtual time)

const w6Goodput = (loss: number): Promise<number> =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function*() {
        const size = 256 * 1024
        const count = quick ? 24 : 64
        const env = yield* setup({
          qps: 1,
          sqDepth: 64,
          rqDepth: 4,
          bufBytes: size,
          cqDepth: 256,
          fabric: { latencyUs: 5, bandwidthGbps: 25, seed: 42, faults: { loss, reorderMaxUs: 5 } },
          config: { ackTimeoutUs: 100, windowPackets: 64 }
        })
        const { a, b } = env
        const results = new Nic.CqResults(64)
        const sgl = new Nic.Sgl(1).one(a.buf, size, a.key)
        const start = yield* TestClock.currentTimeMillis
        let posted = 0
        let done = 0
        while (done < count) {
          while (posted - done < 16 && posted < count) {
            a.nic.postWrite(a.qps[0]!, null, sgl, 0, b.buf, b.key)
            posted++
          }
          const n = a.nic.pollCq(a.cq, results)
          for (let i = 0; i < n; i++) if (results.status[i] !== 0) throw new Error(`W6 completion ${results.status[i]}`)
          done += n
          if (n === 0) {
            yield* Effect.yieldNow()
            yield* TestClock.adjust("2 micros")
          }
        }
        const end = yield* TestClock.currentTimeMillis
        return (count * size) / (end - start) / 1000 // MB/s of virtual time
      })
    ).pipe(Effect.provide(TestContext.TestContext))
  )

// ---------------------------------------------------------------------------------------------------------------
// memory per idle QP

const memoryPerQp = async (): Promise<number> => {
  const n = 4096
  v8.setFlagsFromString("--expose-gc")
  const g = vm.runInNewContext("gc") as (() => void) | undefined
  const s = Effect.runSync(Scope.make())
  const env = await Effect.runPromise(Scope.extend(
    Effect.gen(function*() {
      const fabric = yield* Fabric.make({ memoryBytes: 64 * 1024 * 1024 })
      const nic = yield* Effect.provideService(
        Nic.make({ address: 1, config: { hostMemoryBytes: 1024 * 1024, deviceMemoryBytes: 1024 * 1024 } }),
        Fabric.Fabric,
        fabric
      )
      const pd = yield* nic.allocPd
      const cq = yield* nic.createCq(1024)
      return { nic, pd, cq }
    }),
    s
  ))
  g?.()
  const before = process.memoryUsage()
  const qps: Array<number> = []
  await Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < n; i++) {
      qps.push(
        yield* env.nic.createQp({
          pd: env.pd,
          sendCq: env.cq,
          recvCq: env.cq,
          sqDepth: 16,
          rqDepth: 16,
          maxSendSge: 2,
          maxRecvSge: 2,
          maxInline: 0
        })
      )
    }
  }))
  g?.()
  const after = process.memoryUsage()
  const bytes = (after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers) / n
  await Effect.runPromise(Scope.close(s, Exit.void))
  return bytes
}

const onlyArg = process.argv.find((a) => a.startsWith("--only="))
const only = onlyArg === undefined ? undefined : onlyArg.slice(7)
const want = (b: string) => only === undefined || only === b

const main = async () => {
  const t0 = performance.now()
  const results: Array<Result> = []
  if (want("W1")) { for (const size of [64 * 1024, 256 * 1024, 1024 * 1024]) results.push(await w1(size)) }
  if (want("W3") || want("W3a")) {
    const one = await w3(1, 1024)
    results.push(one.result)
  }
  if (want("W3")) {
    const one = { rate: results[results.length - 1]!.value }
    const many = await w3(4096, 2)
    results.push(many.result)
    results.push(derived("W3", "4096-QP rate / 1-QP rate", many.rate, one.rate, ">= 0.65"))
  }
  if (want("W2-nic")) results.push(await w2nic())
  if (want("W6")) {
    const lossless = await w6Goodput(0)
    const lossy = await w6Goodput(0.01)
    results.push(derived("W6", "goodput MB/s(virtual) 1% loss", lossy, lossless, ">= 0.4"))
  }
  if (want("mem")) {
    const mem = await memoryPerQp()
    results.push(derived("mem", "bytes per idle QP (sq16/rq16/sge2)", mem, 1, "<= 16384"))
  }
  report(`hardware bench (${((performance.now() - t0) / 1000).toFixed(1)} s)`, results)
  await Effect.runPromise(Scope.close(scope, Exit.void))
}

void main()
