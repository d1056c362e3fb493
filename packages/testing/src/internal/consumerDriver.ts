/**
 * The simulator's second driver: the same kind of seeded workload, faults, verifier and oracles, but every raw
 * call is made by `@effect-ndk/consumer` (the `Ndk` service over the recorded provider hosts) instead of the
 * simulator's miniature consumer. So the verifier's consumer checks (USE_AFTER_CLOSE, DOUBLE_CLOSE) judge the
 * consumer library, and its own invariants are checked at the end of every run: every object it created closed,
 * no operation lost or stray, and no fiber left waiting on an operation.
 *
 * A run: two hosts; on each an adapter, PD, CQ (small under `overrun`), QP and a caller-owned buffer registered
 * with guard bytes around it; a listener and one of three ways to connect (`adapter.connect` + `accept`, a standalone
 * connector with `completeConnectEx` + `acceptEx`, a shared endpoint + `accept`); then random steps: receives
 * posted ahead, sends (awaited in their own fibers, or submitted to the CQ's stream), RDMA writes, CQ moderation
 * and resize, checks of completed receives, time advances, a worker fiber of sends that is interrupted while it
 * waits, a NIC reset, a partition, a close chained on a receive's completion, early explicit closes; then explicit
 * closes in a random order and the release of the whole scope (adapters last). Alongside, from a second stream: a
 * second connection whose passive QP receives through a shared receive queue, a memory window (bind, the peer's
 * read through it, invalidate) and a fast-register MR over a logical mapping (register, the peer's write through
 * it, invalidate or the peer's send-and-invalidate), with early closes of those objects.
 *
 * @internal
 */
import * as Ndk from "@effect-ndk/consumer/Ndk"
import { PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import { NdkOpFlag } from "@effect-ndk/ndkpi/OpFlag"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import * as SockAddr from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as R from "./raw.js"
import type { Fault, Outcome } from "./simCommon.js"
import {
  begin,
  differs,
  end,
  faultSteps,
  GUARD,
  GUARD_BYTE,
  guardOracle,
  idOf,
  message,
  MSG,
  orderChecks,
  REGION,
  sharedSteps,
  show,
  shuffle,
  SLOT,
  SLOTS
} from "./simCommon.js"
import type * as World from "./world.js"

// read limits, local write, remote read, remote write, read sink
const ACCESS = 0x5 | 0x2 | 0x8
const PORT = 9000

interface Side {
  readonly host: World.Host
  readonly ndk: Ndk.NdkService
  readonly adapter: Ndk.Adapter
  readonly pd: Ndk.ProtectionDomain
  readonly cq: Ndk.CompletionQueue
  readonly qp: Ndk.QueuePair
  readonly mr: Ndk.MemoryRegion
  /** VA of the guarded allocation (guard, region, guard) */
  readonly base: number
}

interface Receive {
  readonly n: number
  readonly posted: Ndk.Posted
}

/** @internal */
export const body = (
  seed: number,
  fs: ReadonlyArray<Fault>,
  steps: number,
  keepLog: boolean,
  wrap: (host: NdkProviderHost) => NdkProviderHost
): Effect.Effect<Outcome, R.Failed, Scope.Scope> =>
  Effect.gen(function*() {
    const run = yield* begin(seed, fs)
    const { finding, has, log, rng, slowMs, world } = run
    const ndks = world.hosts.map((h) => Ndk.make(log.wrapHost(wrap(h.provider)), h.nic.memory))
    // every consumer object of the run lives in this scope; its release closes whatever is left, adapters last
    const scope = yield* Scope.make()
    const inScope = <A, E>(fx: Effect.Effect<A, E, Scope.Scope>) => Scope.extend(fx, scope)
    // fibers that wait on consumer operations: all of them must be done once everything has closed
    const waiters: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
    const spawn = <A, E>(fx: Effect.Effect<A, E>) =>
      Effect.tap(Effect.fork(fx), (f) => Effect.sync(() => void waiters.push(f)))
    /** Runs `fx` in a fiber while driving virtual time; None when it is not done within `limit` steps. */
    const driven = <A, E>(fx: Effect.Effect<A, E>, limit = 2000) =>
      Effect.gen(function*() {
        const fiber = yield* spawn(fx)
        yield* R.until(() => fiber.unsafePoll() !== null, limit, 1)
        const exit = fiber.unsafePoll()
        if (exit === null) yield* Fiber.interruptFork(fiber)
        return Option.fromNullable(exit)
      })
    const need = <A, E>(what: string, fx: Effect.Effect<A, E>) =>
      Effect.flatMap(driven(fx), (o): Effect.Effect<A, R.Failed> => {
        if (Option.isSome(o) && Exit.isSuccess(o.value)) return Effect.succeed(o.value.value)
        return Effect.fail(new R.Failed(`${what}: ${Option.isSome(o) ? String(o.value) : "not done"}`))
      })

    const makeSide = (i: number) =>
      Effect.gen(function*() {
        const host = world.hosts[i]!
        const ndk = ndks[i]!
        const adapter = yield* ndk.openAdapter()
        const pd = yield* adapter.createPd
        const cq = yield* adapter.createCq(has("overrun") ? 4 + rng.int(4) : 64)
        const depth = has("overrun") ? 8 : 32
        const qp = yield* pd.createQp({
          receiveCq: cq,
          initiatorCq: cq,
          receiveQueueDepth: depth,
          initiatorQueueDepth: depth,
          maxReceiveSge: 2,
          maxInitiatorSge: 2,
          inlineDataSize: 64,
          context: `qp${i}`
        })
        // a caller-owned buffer with guard bytes around the registered region
        const base = host.nic.memory.alloc(REGION + 2 * GUARD, 4096)
        host.nic.memory.write(base, new Uint8Array(REGION + 2 * GUARD).fill(GUARD_BYTE))
        const va = base + GUARD
        const mr = yield* pd.registerBuffer({
          address: BigInt(va),
          length: REGION,
          bytes: host.nic.memory.view(va, REGION),
          mdl: { virtualAddress: BigInt(va), byteCount: REGION }
        }, ACCESS)
        return { host, ndk, adapter, pd, cq, qp, mr, base } satisfies Side
      })
    const a = yield* need("side A", inScope(makeSide(0)))
    const b = yield* need("side B", inScope(makeSide(1)))
    const addr = (s: Side, port: number) => SockAddr.ipv4Addr(R.ipOf(s.host.address), port)

    // connection, one of three ways: adapter.connect + accept; a standalone connector step by step with the 2.1
    // functions (connect, read the reply, completeConnectEx) + acceptEx; a shared endpoint + accept. Drawn from a
    // stream of its own (derived from the seed), so the workload's draws stay those of the seeds recorded before
    const limits = { inboundReadLimit: 4, outboundReadLimit: 4 }
    const how = R.rng((seed ^ 0x9e3779b9) >>> 0).int(3)
    const listener = yield* need("listen", inScope(b.adapter.listen(addr(b, PORT))))
    const server = yield* spawn(
      inScope(
        Effect.flatMap(listener.incoming, (req) => how === 1 ? req.acceptEx(b.qp, limits) : req.accept(b.qp, limits))
      )
    )
    const client = yield* driven(
      inScope(
        how === 0
          ? a.adapter.connect(a.qp, addr(a, 0), addr(b, PORT), limits)
          : how === 1
          ? Effect.flatMap(a.adapter.createConnector, (c) =>
            Effect.zipRight(c.connect(a.qp, addr(a, 0), addr(b, PORT), limits), c.completeConnectEx))
          : Effect.flatMap(a.adapter.createSharedEndpoint(addr(a, 0)), (e) =>
            e.connect(a.qp, addr(b, PORT), limits))
      ),
      1500
    )
    const accepted = client._tag === "Some" && Exit.isSuccess(client.value)
      ? yield* R.until(() => server.unsafePoll() !== null, 1500, 1).pipe(Effect.map(() => server.unsafePoll()))
      : null
    const conn = client._tag === "Some" && Exit.isSuccess(client.value) && accepted !== null &&
        Exit.isSuccess(accepted)
      ? { ca: client.value.value, cb: accepted.value }
      : undefined
    const closedHandles = new Set<{ readonly close: Effect.Effect<void> }>()
    const closeEarly = (h: { readonly close: Effect.Effect<void> }) =>
      closedHandles.has(h) ? Effect.void : Effect.zipRight(
        Effect.sync(() => void closedHandles.add(h)),
        Effect.asVoid(spawn(h.close))
      )
    const ready = () => conn !== undefined && !closedHandles.has(a.qp) && !closedHandles.has(b.qp)

    // a second connection whose passive QP takes its receives from a shared receive queue, a memory window and a
    // fast-register MR on B; drawn from a stream of their own, so the main workload keeps its draws
    const xr = R.rng((seed ^ 0x85ebca6b) >>> 0)
    const x = yield* need("extras", inScope(makeExtras(a, b, xr)))
    const server2 = yield* spawn(inScope(Effect.flatMap(listener.incoming, (req) => req.accept(x.bqp, limits))))
    const client2 = conn === undefined
      ? undefined
      : yield* driven(inScope(a.adapter.connect(x.aqp, addr(a, 0), addr(b, PORT), limits)), 1500)
    const accepted2 = client2 !== undefined && client2._tag === "Some" && Exit.isSuccess(client2.value)
      ? yield* R.until(() => server2.unsafePoll() !== null, 1500, 1).pipe(Effect.map(() => server2.unsafePoll()))
      : null
    const conn2 = client2 !== undefined && client2._tag === "Some" && Exit.isSuccess(client2.value) &&
        accepted2 !== null && Exit.isSuccess(accepted2)
      ? { ca: client2.value.value, cb: accepted2.value }
      : undefined
    const ready2 = () => conn2 !== undefined && !closedHandles.has(x.aqp) && !closedHandles.has(x.bqp)

    // workload
    let sent = 0
    let recvPosted = 0
    let received = 0
    const receives: Array<Receive> = []
    const checkReceives = Effect.gen(function*() {
      for (let i = 0; i < receives.length;) {
        const r = receives[i]!
        if (!r.posted.done()) {
          i++
          continue
        }
        receives.splice(i, 1)
        const c = yield* Effect.either(r.posted.await)
        if (c._tag === "Left") continue
        const slot = r.n % SLOTS
        const data = b.host.nic.memory.read(Number(b.mr.buffer.address) + slot * SLOT, MSG)
        if (c.right.bytesTransferred !== MSG) {
          finding("DATA_INTEGRITY", [], `receive recv-${r.n}: ${c.right.bytesTransferred} bytes, sent ${MSG}`)
          continue
        }
        const id = idOf(data)
        const k = differs(data, id)
        if (k !== undefined) {
          finding("DATA_INTEGRITY", [], `receive recv-${r.n}: byte ${k} is ${data[k]}, message ${id} differs`)
          continue
        }
        received++
      }
    })
    const sge = (s: Side, offset: number, length: number) => s.mr.sge(offset, length)
    /** writes the next message into its slot of A's buffer: its id and SGE list */
    const nextMessage = () => {
      const id = seed * 1000 + sent
      const slot = sent % SLOTS
      a.host.nic.memory.write(Number(a.mr.buffer.address) + slot * SLOT, message(id))
      sent++
      return { id, sgl: [sge(a, slot * SLOT, MSG)] }
    }
    const send = (wait: boolean) =>
      Effect.gen(function*() {
        if (!ready()) return
        const { id, sgl } = nextMessage()
        if (wait) yield* spawn(a.qp.send(sgl))
        else yield* Effect.ignore(a.qp.submit({ _tag: "Send", sgl, context: `send-${id}` }))
      })
    const net = faultSteps(world, rng, has)
    const shared = sharedSteps(
      net,
      rng,
      ready,
      Effect.gen(function*() {
        if (!ready()) return
        yield* Effect.ignore(a.qp.send(nextMessage().sgl))
        yield* Effect.sleep(`${1 + slowMs} millis`)
      })
    )
    let chained = false

    // the extras' workload: SRQ receives and sends into them, MW bind + read through its token + invalidate,
    // fast-register + write through its token + invalidate (one memory chain at a time, each awaited in order)
    let srqPosted = 0
    let srqChecked = 0
    let xSent = 0
    let memoryChecks = 0
    let chain: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
    let frValid = false
    const srqReceives: Array<Receive> = []
    const checkSrq = Effect.gen(function*() {
      for (let i = 0; i < srqReceives.length;) {
        const r = srqReceives[i]!
        if (!r.posted.done()) {
          i++
          continue
        }
        srqReceives.splice(i, 1)
        const c = yield* Effect.either(r.posted.await)
        if (c._tag === "Left") continue
        const at = (r.n % (SLOTS / 2)) * SLOT
        const data = x.bMem.buffer.bytes.subarray(at, at + MSG)
        const k = c.right.bytesTransferred !== MSG ? -1 : differs(data, idOf(data))
        if (k !== undefined) {
          finding("DATA_INTEGRITY", [], `SRQ receive srq-${r.n}: ${c.right.bytesTransferred} bytes, byte ${k} differs`)
          continue
        }
        srqChecked++
      }
    })
    /** checks the bytes `got` against message `id` once the operation succeeded (not after a NIC reset) */
    const verify = (what: string, got: Uint8Array, id: number) =>
      Effect.sync(() => {
        if (net.resetDone()) return
        const k = differs(got, id)
        if (k !== undefined) finding("DATA_INTEGRITY", [], `${what} ${id}: byte ${k} differs, got ${show(got)}`)
        else memoryChecks++
      })
    /**
     * A step of a memory chain, taken only while the extra connection's QPs (and `uses`) are open: the chain ends
     * once one was closed (the application's side of R31; the consumer refuses WRs naming closed memory objects)
     */
    const live = <A, E>(fx: Effect.Effect<A, E>, uses?: { readonly close: Effect.Effect<void> }) =>
      Effect.suspend((): Effect.Effect<A, E | "closed"> =>
        ready2() && (uses === undefined || !closedHandles.has(uses)) ? fx : Effect.fail("closed")
      )
    const mwChain = (off: number, invalidate: boolean) =>
      Effect.gen(function*() {
        const flags = NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_READ
        yield* live(x.bqp.bind(x.bMem, x.mw, MW_BASE, SLOTS / 2 * SLOT, flags))
        const token = yield* live(x.mw.remoteToken, x.mw)
        const sink = SINK + off
        x.aMem.buffer.bytes.fill(0, sink, sink + MSG)
        yield* live(x.aqp.read([x.aMem.sge(sink, MSG)], x.bMem.buffer.address + BigInt(MW_BASE + off), token))
        yield* verify("MW read", x.aMem.buffer.bytes.subarray(sink, sink + MSG), MW_ID + off / SLOT)
        if (invalidate) yield* live(x.bqp.invalidate(x.mw))
      })
    const frChain = (off: number, via: "invalidate" | "send") =>
      Effect.gen(function*() {
        if (frValid) {
          yield* live(x.bqp.invalidate(x.frmr))
          frValid = false
        }
        const flags = NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_WRITE | NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_READ
        yield* live(x.bqp.fastRegister(x.frmr, x.lam, { flags }))
        frValid = true
        const token = yield* live(x.frmr.remoteToken, x.frmr)
        const id = seed * 1000 + 700 + xSent++
        x.aMem.buffer.bytes.set(message(id), SOURCE)
        yield* live(x.aqp.write([x.aMem.sge(SOURCE, MSG)], x.frBuffer.address + BigInt(off), token))
        yield* verify("fast-register write", x.frBuffer.bytes.subarray(off, off + MSG), id)
        if (via === "invalidate") {
          yield* live(x.bqp.invalidate(x.frmr))
          frValid = false
        } else if (srqReceives.length > 0) {
          // the peer's send-and-invalidate consumes an SRQ receive and invalidates the fast-registered token
          x.aMem.buffer.bytes.set(message(id), SOURCE)
          yield* live(x.aqp.sendAndInvalidate([x.aMem.sge(SOURCE, MSG)], token))
          frValid = false
        }
      })
    const extraStep = Effect.gen(function*() {
      const roll = xr.int(100)
      if (roll < 8) {
        if (!closedHandles.has(x.srq) && srqReceives.length < SLOTS / 2) {
          const n = srqPosted
          const at = (n % (SLOTS / 2)) * SLOT
          const posted = yield* Effect.either(x.srq.postReceive([x.bMem.sge(at, SLOT)], `srq-${n}`))
          if (posted._tag === "Right") {
            srqReceives.push({ n, posted: posted.right })
            srqPosted++
          }
        }
      } else if (roll < 14) {
        if (ready2()) {
          const id = seed * 1000 + 800 + xSent++
          const slot = xSent % (SLOTS / 2 - 1)
          x.aMem.buffer.bytes.set(message(id), slot * SLOT)
          yield* spawn(x.aqp.send([x.aMem.sge(slot * SLOT, MSG)]))
        }
      } else if (roll < 18) {
        yield* checkSrq
      } else if (roll < 20) {
        if (!closedHandles.has(x.srq)) {
          yield* spawn(x.srq.modify({ notifyThreshold: xr.int(4) }))
          if (xr.chance(0.5)) yield* spawn(x.srq.nextNotification)
        }
      } else if (roll < 25) {
        if (ready2() && (chain === undefined || chain.unsafePoll() !== null)) {
          chain = yield* spawn(
            xr.chance(0.5)
              ? mwChain(xr.int(SLOTS / 2) * SLOT, xr.chance(0.7))
              : frChain(xr.int(PAGE_SIZE / SLOT) * SLOT, xr.chance(0.7) ? "invalidate" : "send")
          )
        }
      } else if (roll < 26) {
        const victims: Array<{ readonly close: Effect.Effect<void> }> = [x.aqp, x.bqp, x.srq, x.mw, x.frmr]
        if (conn2 !== undefined) victims.push(conn2.ca, conn2.cb)
        yield* closeEarly(xr.pick(victims))
      }
    })
    const writes: Array<
      { readonly off: number; readonly id: number; readonly fiber: Fiber.RuntimeFiber<unknown, unknown> }
    > = []

    for (let step = 0; step < steps; step++) {
      const roll = rng.int(100)
      if (roll < 20) {
        if (ready() && receives.length < 8) {
          const slot = recvPosted % SLOTS
          const n = recvPosted
          const posted = yield* Effect.either(b.qp.postReceive([sge(b, slot * SLOT, SLOT)], `recv-${n}`))
          if (posted._tag === "Right") {
            receives.push({ n, posted: posted.right })
            recvPosted++
          }
        }
      } else if (roll < 38) {
        yield* send(rng.chance(0.6))
      } else if (roll < 46) {
        if (ready()) {
          const off = SLOT * SLOTS + rng.int(SLOTS) * SLOT
          const id = seed * 1000 + 500 + writes.length
          a.host.nic.memory.write(Number(a.mr.buffer.address) + off, message(id))
          const fiber = yield* spawn(
            a.qp.write([sge(a, off, MSG)], b.mr.buffer.address + BigInt(off), b.mr.remoteToken)
          )
          writes.push({ off, id, fiber })
        }
      } else if (roll < 56) {
        const s = rng.chance(0.5) ? a : b
        if (!closedHandles.has(s.cq)) {
          if (rng.chance(0.7)) yield* Effect.ignore(s.cq.moderate({ interval: rng.int(20), count: rng.int(8) }))
          else yield* spawn(s.cq.resize(has("overrun") ? 4 + rng.int(8) : 64 + rng.int(64)))
        }
      } else if (roll < 68) {
        yield* checkReceives
      } else if (roll < 95) {
        yield* shared.step(roll)
      } else if (roll < 98) {
        // a close chained on the completion of the latest receive (the waiter resumes from the dispatcher)
        const last = receives.at(-1)
        if (!chained && conn !== undefined && last !== undefined) {
          chained = true
          const victim = rng.pick<{ readonly close: Effect.Effect<void> }>([b.qp, conn.cb])
          yield* spawn(Effect.zipRight(Effect.ignore(last.posted.await), closeEarly(victim)))
        }
      } else {
        const victims: Array<{ readonly close: Effect.Effect<void> }> = [a.qp, b.qp, listener]
        if (conn !== undefined) victims.push(conn.ca, conn.cb)
        yield* closeEarly(rng.pick(victims))
      }
      yield* extraStep
    }
    yield* shared.settle
    yield* R.until(() => false, 5 + rng.int(20), 1)
    yield* checkReceives
    yield* checkSrq

    // WR-once (R78) and completion order (R82) over what the consumer's dispatchers polled
    orderChecks(log.events, finding, R.S.STATUS_SUCCESS)

    // RDMA write integrity (last successful write per slot, no reset)
    let writesChecked = 0
    if (!net.resetDone()) {
      const last = new Map<number, { readonly id: number; readonly fiber: Fiber.RuntimeFiber<unknown, unknown> }>()
      for (const w of writes) last.set(w.off, w)
      for (const [off, w] of last) {
        const exit = w.fiber.unsafePoll()
        if (exit === null || !Exit.isSuccess(exit)) continue
        const data = b.host.nic.memory.read(Number(b.mr.buffer.address) + off, MSG)
        writesChecked++
        const k = differs(data, w.id)
        if (k !== undefined) {
          finding(
            "DATA_INTEGRITY",
            [],
            `RDMA write ${w.id} (completed STATUS_SUCCESS) to offset ${off}: byte ${k} differs; target starts ${
              show(data)
            }, expected ${show(message(w.id))}`
          )
        }
      }
    }

    // explicit closes in a random order, then the release of the scope (whatever is left, adapters last)
    const handles: Array<{ readonly close: Effect.Effect<void> }> = [a.qp, b.qp, a.mr, b.mr, a.cq, b.cq, listener]
    if (conn !== undefined) handles.push(conn.ca, conn.cb)
    handles.push(a.pd, b.pd)
    shuffle(rng, handles)
    for (const h of handles) {
      if (rng.chance(0.5)) yield* closeEarly(h)
      if (rng.chance(0.3)) yield* R.until(() => false, 1, 1)
    }
    const extras: Array<{ readonly close: Effect.Effect<void> }> = [x.aqp, x.bqp, x.srq, x.mw, x.frmr, x.aMem, x.bMem]
    if (conn2 !== undefined) extras.push(conn2.ca, conn2.cb)
    shuffle(xr, extras)
    for (const h of extras) if (xr.chance(0.5)) yield* closeEarly(h)
    const release = yield* driven(Scope.close(scope, Exit.void), 4000)
    if (Option.isNone(release)) {
      finding("CLOSE_NEVER_COMPLETED", ["R14"], "the consumer scope's release did not finish")
    }
    yield* R.until(() => waiters.every((f) => f.unsafePoll() !== null), 200, 1)
    const hung = waiters.filter((f) => f.unsafePoll() === null).length
    if (hung > 0) finding("CONSUMER_WAITER_HUNG", [], `${hung} fiber(s) still wait on consumer operations`)

    // the consumer's own accounting
    for (const [i, ndk] of ndks.entries()) {
      const st = ndk.unsafeStats()
      const bad: Array<string> = []
      // an overrun CQ drops completions, possibly reporting it only after the QP closed (SPEC §10.7)
      if (st.lost !== 0 && !has("overrun")) bad.push(`lost ${st.lost}`)
      if (st.strays !== 0) bad.push(`strays ${st.strays}`)
      if (st.outstanding !== 0) bad.push(`outstanding ${st.outstanding}`)
      for (const [k, n] of Object.entries(st.created)) {
        if ((st.closed[k] ?? 0) !== n) bad.push(`${k} created ${n} closed ${st.closed[k] ?? 0}`)
      }
      if (bad.length > 0) finding("CONSUMER_ACCOUNTING", [], `host ${i + 1}: ${bad.join(", ")}`)
    }

    for (const s of [a, b]) guardOracle(s.host, s.base, finding)

    return end(run, {
      seed,
      faults: fs,
      connected: conn !== undefined,
      received: received + srqChecked,
      writes: writesChecked + memoryChecks,
      keepLog
    })
  })

/** The extras' layout: A's and B's extra regions (SLOTS slots each), B's window area and its pattern ids. */
const XREGION = SLOTS * SLOT
/** A: sends from the first half but its last slot, the fast-register source in that slot; MW read sinks after it */
const SOURCE = (SLOTS / 2 - 1) * SLOT
const SINK = (SLOTS / 2) * SLOT
/** B: SRQ receives land in the first half; the window covers the second half, filled with known messages */
const MW_BASE = (SLOTS / 2) * SLOT
const MW_ID = 0x4d570000

/** The extras' objects (in the run's scope; released before the main objects, in reverse order). */
const makeExtras = (a: Side, b: Side, xr: R.Rng) =>
  Effect.gen(function*() {
    const frBuffer = yield* b.adapter.allocate(PAGE_SIZE)
    const lam = yield* b.adapter.buildLam(frBuffer)
    const aMem = yield* a.pd.registerMemory(XREGION, ACCESS)
    const bMem = yield* b.pd.registerMemory(XREGION, ACCESS)
    for (let k = 0; k < SLOTS / 2; k++) bMem.buffer.bytes.set(message(MW_ID + k), MW_BASE + k * SLOT)
    const srq = yield* b.pd.createSrq({ depth: SLOTS, maxSge: 2, notifyThreshold: xr.int(3) })
    const options = { initiatorQueueDepth: 16, receiveQueueDepth: 16, maxInitiatorSge: 2, maxReceiveSge: 2 }
    const aqp = yield* a.pd.createQp({ ...options, receiveCq: a.cq, initiatorCq: a.cq, context: "qp0x" })
    const bqp = yield* b.pd.createQp({ ...options, receiveCq: b.cq, initiatorCq: b.cq, srq, context: "qp1x" })
    const mw = yield* b.pd.createMw
    const frmr = yield* b.pd.createFastRegisterMr({ pageCount: 2, remoteAccess: true })
    return { frBuffer, lam, aMem, bMem, srq, aqp, bqp, mw, frmr }
  })
