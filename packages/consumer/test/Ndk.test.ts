import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Scope, Stream } from "effect"
import { drive, hosts, yields } from "./utils/hosts.js"

const RW = NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE | NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_READ

/** One host: adapter, PD, one CQ, a registered buffer and a QP on that CQ. */
const single = Effect.gen(function*() {
  const [h] = yield* hosts(1)
  const adapter = yield* h!.ndk.openAdapter()
  const pd = yield* adapter.createPd
  const cq = yield* adapter.createCq(64)
  const mr = yield* pd.registerMemory(4096, RW)
  const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq, receiveQueueDepth: 32 })
  return { ndk: h!.ndk, adapter, pd, cq, mr, qp }
})

type Single = Effect.Effect.Success<typeof single>

/**
 * After an interrupted wait: a new receive still posts; a flush cancels it and everything outstanding, and every
 * tracked operation is gone once the flushed completions have been delivered.
 */
const stillWorks = (qp: Single["qp"], mr: Single["mr"]) =>
  Effect.gen(function*() {
    const p = yield* qp.postReceive([mr.sge(64, 64)])
    yield* qp.flush
    const e = yield* drive(Effect.flip(p.await))
    assert.strictEqual(e._tag, "Cancelled")
    yield* drive(
      Effect.suspend(() => qp.outstanding() === 0 ? Effect.void : Effect.fail("busy")).pipe(
        Effect.retry({ times: 1000 })
      )
    )
  })

describe("Ndk: objects as scoped resources", () => {
  it.effect("R12: leaving the scope closes every object, children first, and awaits close completions", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { ndk } = yield* Scope.extend(single, scope)
      const before = yield* ndk.stats
      assert.deepStrictEqual(before.created, { Adapter: 1, Pd: 1, Cq: 1, Mr: 1, Qp: 1 })
      assert.deepStrictEqual(before.closed, {})
      yield* drive(Scope.close(scope, Exit.void))
      const after = yield* ndk.stats
      assert.deepStrictEqual(after.closed, { Adapter: 1, Pd: 1, Cq: 1, Mr: 1, Qp: 1 })
      assert.strictEqual(after.outstanding, 0)
      assert.strictEqual(after.lost, 0)
    }))

  it.scoped("an early explicit close is not repeated by the scope (one NDK close per object, R31)", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { ndk, qp } = yield* Scope.extend(single, scope)
      yield* drive(qp.close)
      yield* drive(qp.close)
      yield* drive(Scope.close(scope, Exit.void))
      const s = yield* ndk.stats
      assert.strictEqual(s.closed["Qp"], 1)
    }))

  it.scoped("the MR buffer comes from host memory and is live (no copy)", () =>
    Effect.gen(function*() {
      const { mr } = yield* single
      mr.buffer.bytes[0] = 42
      assert.strictEqual(mr.buffer.bytes[0], 42)
      assert.strictEqual(mr.sge(8, 16).Length, 16)
      assert.strictEqual(mr.sge(8, 16).VirtualAddress, mr.buffer.address + 8n)
      assert.strictEqual(mr.sge().MemoryRegionToken, mr.localToken)
    }))

  it.scoped("a caller's own buffer registers too", () =>
    Effect.gen(function*() {
      const { adapter, pd } = yield* single
      const buffer = yield* adapter.allocate(8192)
      const mr = yield* pd.registerBuffer(buffer, RW)
      assert.strictEqual(mr.buffer, buffer)
      assert.isTrue(mr.remoteToken !== 0)
    }))

  it.scoped("bad input is a typed error, not a defect", () =>
    Effect.gen(function*() {
      const { adapter, pd } = yield* single
      const e1 = yield* Effect.flip(adapter.createCq(0))
      assert.strictEqual(e1._tag, "InvalidParameter")
      const e2 = yield* Effect.flip(adapter.allocate(-1))
      assert.strictEqual(e2._tag, "InvalidParameter")
      const e3 = yield* Effect.flip(pd.registerMemory(16, 0x40))
      assert.strictEqual(e3._tag, "InvalidParameter")
    }))
})

describe("Ndk: data path without a peer", () => {
  it.scoped("R21: a flush completes every pending receive with Cancelled through the CQ dispatcher", () =>
    Effect.gen(function*() {
      const { mr, ndk, qp } = yield* single
      const posted = yield* Effect.forEach([0, 1, 2], (i) => qp.postReceive([mr.sge(i * 64, 64)], i))
      assert.strictEqual(qp.outstanding(), 3)
      yield* qp.flush
      const results = yield* drive(Effect.forEach(posted, (p) => Effect.flip(p.await)))
      assert.deepStrictEqual(results.map((e) => e._tag), ["Cancelled", "Cancelled", "Cancelled"])
      assert.strictEqual(qp.outstanding(), 0)
      assert.strictEqual((yield* ndk.stats).requestsFlushed, 3)
    }))

  it.scoped("interrupting a waiting fiber leaves the QP intact and the operation tracked until it completes", () =>
    Effect.gen(function*() {
      const { mr, ndk, qp } = yield* single
      const waiting = yield* Effect.fork(qp.receive([mr.sge(0, 64)]))
      yield* yields()
      assert.strictEqual(qp.outstanding(), 1)
      yield* Fiber.interrupt(waiting)
      assert.strictEqual(qp.outstanding(), 1)
      // the QP still works: a new receive posts fine
      yield* stillWorks(qp, mr)
      const s = yield* ndk.stats
      assert.strictEqual(s.abandoned, 1)
      assert.strictEqual(s.outstanding, 0)
    }))

  it.scoped("batch: many receives resolve with one resume, in posting order", () =>
    Effect.gen(function*() {
      const { mr, qp } = yield* single
      const fiber = yield* Effect.fork(
        qp.batch(
          Array.from({ length: 8 }, (_, i) => ({ _tag: "Receive" as const, sgl: [mr.sge(i * 8, 8)], context: i }))
        )
      )
      yield* yields()
      yield* qp.flush
      const results = yield* drive(Fiber.join(fiber))
      assert.deepStrictEqual(results.map((r) => r.context), [0, 1, 2, 3, 4, 5, 6, 7])
      assert.isTrue(results.every((r) => r.status === NtStatus.STATUS_CANCELLED))
    }))

  it.scoped("batch failing part-way: fails with the post's error, what was posted stays tracked; rerunnable", () =>
    Effect.gen(function*() {
      const { mr, ndk, qp } = yield* single
      // the QP is not connected: the receive posts, the send is refused inline (STATUS_CONNECTION_INVALID)
      const batch = qp.batch([{ _tag: "Receive", sgl: [mr.sge(0, 8)] }, { _tag: "Send", sgl: [mr.sge(8, 8)] }])
      const e1 = yield* Effect.flip(batch)
      assert.strictEqual(e1._tag, "ConnectionInvalid")
      assert.strictEqual(qp.outstanding(), 1)
      // the same Effect run again posts again
      const e2 = yield* Effect.flip(batch)
      assert.strictEqual(e2._tag, "ConnectionInvalid")
      assert.strictEqual(qp.outstanding(), 2)
      yield* stillWorks(qp, mr)
      const s = yield* ndk.stats
      assert.strictEqual(s.outstanding, 0)
      assert.strictEqual(s.lost, 0)
    }))

  it.scoped("interrupting a fiber waiting on a batch: its operations stay tracked until they complete", () =>
    Effect.gen(function*() {
      const { mr, ndk, qp } = yield* single
      const fiber = yield* Effect.fork(
        qp.batch([{ _tag: "Receive", sgl: [mr.sge(0, 8)] }, { _tag: "Receive", sgl: [mr.sge(8, 8)] }])
      )
      yield* yields()
      yield* Fiber.interrupt(fiber)
      assert.strictEqual(qp.outstanding(), 2)
      // the QP still works; the flush completes the abandoned batch's receives too, unseen
      yield* stillWorks(qp, mr)
      const s = yield* ndk.stats
      assert.strictEqual(s.outstanding, 0)
    }))

  it.scoped("an uninterruptible waiter is not abandoned by an interruption: it gets its completion", () =>
    Effect.gen(function*() {
      const { mr, ndk, qp } = yield* single
      const got: Array<number> = []
      const fiber = yield* Effect.fork(
        Effect.uninterruptible(Effect.match(qp.receive([mr.sge(0, 8)]), {
          onFailure: (e) => got.push(e.status),
          onSuccess: (c) => got.push(c.status)
        }))
      )
      yield* yields()
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* yields()
      yield* qp.flush
      yield* drive(Fiber.join(interrupting))
      assert.deepStrictEqual(got, [NtStatus.STATUS_CANCELLED])
      const s = yield* ndk.stats
      assert.strictEqual(s.abandoned, 0)
      assert.strictEqual(s.outstanding, 0)
    }))

  it.scoped("submit: completions nobody waits for arrive on the CQ's results Stream", () =>
    Effect.gen(function*() {
      const { cq, mr, qp } = yield* single
      yield* qp.submit({ _tag: "Receive", sgl: [mr.sge(0, 8)], context: "a" })
      yield* qp.submit({ _tag: "Receive", sgl: [mr.sge(8, 8)], context: "b" })
      yield* qp.flush
      const got = yield* drive(Stream.runCollect(Stream.take(cq.results, 2)))
      assert.deepStrictEqual(Chunk.toReadonlyArray(got).map((c) => c.context), ["a", "b"])
    }))

  it.scoped("closing a QP with pending receives: flushed, every waiter resolved, nothing lost", () =>
    Effect.gen(function*() {
      const { mr, ndk, qp } = yield* single
      const posted = yield* Effect.forEach([0, 1, 2, 3], (i) => qp.postReceive([mr.sge(i * 8, 8)]))
      yield* drive(qp.close)
      const results = yield* drive(Effect.forEach(posted, (p) => Effect.exit(p.await)))
      assert.isTrue(results.every(Exit.isFailure))
      const s = yield* ndk.stats
      assert.strictEqual(s.outstanding, 0)
      assert.strictEqual(s.lost, 0)
    }))
})
