/**
 * The per-CQ dispatcher and operation tracking in isolation (no provider): a scripted CQ hands out results.
 */
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Queue } from "effect"
import type { Completion, CompletionEx, Sink } from "../src/internal/core.js"
import { awaitOp, Batch, Dispatcher, DispatcherEx, makeStats, Op, Owner } from "../src/internal/core.js"

const S = NtStatus

/** A scripted CQ's poll: hands out up to `n` of the results still `pending`, oldest first. */
const pollFrom = <R>(pending: Array<R>) => (results: Array<R>, n: number): number => {
  const k = Math.min(n, pending.length)
  for (let i = 0; i < k; i++) results[i] = pending.shift()!
  return k
}

const scripted = () => {
  const stats = makeStats()
  const pending: Array<NdkResult> = []
  let arms = 0
  const failures: Array<number> = []
  return Effect.map(Queue.unbounded<{ status: number; bytesTransferred: number; context: unknown }>(), (queue) => {
    const sink: Sink = { queue, open: true }
    const d = new Dispatcher(
      stats,
      sink,
      pollFrom(pending),
      () => void arms++,
      (status) => void failures.push(status)
    )
    const complete = (ctx: unknown, status: number = S.STATUS_SUCCESS, bytes = 0) =>
      pending.push({ Status: status, BytesTransferred: bytes, QPContext: null, RequestContext: ctx })
    return { stats, d, complete, queue, arms: () => arms, failures }
  })
}

describe("Dispatcher", () => {
  it.effect("resumes the waiting fiber of each completed operation, in CQ order; re-arms after draining", () =>
    Effect.gen(function*() {
      const { arms, complete, d, stats } = yield* scripted()
      const owner = new Owner(stats)
      const ops = [new Op(owner, "a"), new Op(owner, "b")]
      ops.forEach((op) => owner.add(op))
      const waiting = yield* Effect.fork(Effect.all(ops.map(awaitOp)))
      yield* Effect.yieldNow()
      complete(ops[0], S.STATUS_SUCCESS, 5)
      complete(ops[1], S.STATUS_SUCCESS, 7)
      d.notified(S.STATUS_SUCCESS)
      const got = yield* Fiber.join(waiting)
      assert.deepStrictEqual(got.map((c) => [c.context, c.bytesTransferred]), [["a", 5], ["b", 7]])
      assert.strictEqual(owner.count, 0)
      assert.strictEqual(stats.outstanding, 0)
      assert.strictEqual(arms(), 1)
    }))

  it.effect("a failed completion fails the waiter with the typed error; flushed ones are counted", () =>
    Effect.gen(function*() {
      const { complete, d, stats } = yield* scripted()
      const owner = new Owner(stats)
      const op = new Op(owner, undefined)
      owner.add(op)
      const waiting = yield* Effect.fork(Effect.flip(awaitOp(op)))
      yield* Effect.yieldNow()
      complete(op, S.STATUS_CANCELLED)
      d.notified(S.STATUS_SUCCESS)
      const e = yield* Fiber.join(waiting)
      assert.strictEqual(e._tag, "Cancelled")
      assert.strictEqual(stats.requestsFlushed, 1)
    }))

  it.effect("an interrupted waiter: the completion is dropped and counted as abandoned", () =>
    Effect.gen(function*() {
      const { complete, d, stats } = yield* scripted()
      const owner = new Owner(stats)
      const op = new Op(owner, undefined)
      owner.add(op)
      const waiting = yield* Effect.fork(awaitOp(op))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(waiting)
      assert.strictEqual(owner.count, 1)
      complete(op)
      d.notified(S.STATUS_SUCCESS)
      assert.strictEqual(owner.count, 0)
      assert.strictEqual(stats.abandoned, 1)
    }))

  it.effect("a batch resumes once, when its last operation completes", () =>
    Effect.gen(function*() {
      const { complete, d, stats } = yield* scripted()
      const owner = new Owner(stats)
      const batch = new Batch(3)
      const ops = [0, 1, 2].map((i) => {
        const op = new Op(owner, i)
        op.batch = batch
        op.index = i
        owner.add(op)
        return op
      })
      complete(ops[0])
      complete(ops[1])
      d.notified(S.STATUS_SUCCESS)
      assert.strictEqual(batch.remaining, 1)
      complete(ops[2], S.STATUS_CANCELLED)
      d.notified(S.STATUS_SUCCESS)
      assert.strictEqual(batch.remaining, 0)
      assert.deepStrictEqual(batch.results.map((c) => c.status), [0, 0, S.STATUS_CANCELLED])
    }))

  it.effect("foreign contexts and sink operations go to the results stream", () =>
    Effect.gen(function*() {
      const { complete, d, queue, stats } = yield* scripted()
      const owner = new Owner(stats)
      const op = new Op(owner, "mine")
      op.sink = { queue, open: true }
      owner.add(op)
      complete(op)
      complete("foreign")
      d.notified(S.STATUS_SUCCESS)
      const all = yield* Queue.takeAll(queue)
      assert.deepStrictEqual(Chunk.toReadonlyArray(all).map((c) => c.context), ["mine", "foreign"])
    }))

  it.effect("DispatcherEx: waiters resolve as usual; sink operations and foreign contexts go to the extended stream", () =>
    Effect.gen(function*() {
      const stats = makeStats()
      const queue = yield* Queue.unbounded<Completion>()
      const ex = yield* Queue.unbounded<CompletionEx>()
      const sink: Sink = { queue, ex, open: true }
      const pending: Array<NdkResultEx> = []
      const d = new DispatcherEx(
        stats,
        sink,
        pollFrom(pending),
        () => {},
        () => {}
      )
      const owner = new Owner(stats)
      const waited = new Op(owner, "waited")
      const submitted = new Op(owner, "submitted")
      submitted.sink = sink
      owner.add(waited)
      owner.add(submitted)
      const fiber = yield* Effect.fork(awaitOp(waited))
      yield* Effect.yieldNow()
      const entry = (ctx: unknown, Type: NdkResultEx["Type"], out = 0): NdkResultEx => ({
        Status: S.STATUS_SUCCESS,
        BytesTransferred: 4,
        QPContext: null,
        RequestContext: ctx,
        Type,
        ProviderErrorCode: 0,
        TypeSpecificCompletionOutput: out
      })
      pending.push(entry(waited, 2), entry(submitted, 1), entry("foreign", 0x8001, 77))
      d.notified(S.STATUS_SUCCESS)
      assert.strictEqual((yield* Fiber.join(fiber)).context, "waited")
      const got = Chunk.toReadonlyArray(yield* Queue.takeAll(ex))
      assert.deepStrictEqual(got.map((c) => [c.context, c.type, c.typeSpecificOutput]), [
        ["submitted", 1, 0],
        ["foreign", 0x8001, 77]
      ])
      assert.strictEqual(yield* Queue.size(queue), 0)
      assert.strictEqual(stats.outstanding, 0)
      assert.strictEqual(stats.completions, 3)
    }))

  it.effect("a CQ failure notification reports the failure and stops re-arming", () =>
    Effect.gen(function*() {
      const { arms, d, failures } = yield* scripted()
      d.notified(S.STATUS_BUFFER_OVERFLOW)
      assert.deepStrictEqual(failures, [S.STATUS_BUFFER_OVERFLOW])
      d.rearm()
      assert.strictEqual(arms(), 0)
    }))

  it("Owner.failAll resolves everything still tracked (nothing waits forever)", () => {
    const stats = makeStats()
    const owner = new Owner(stats)
    const ops = [new Op(owner, 1), new Op(owner, 2)]
    ops.forEach((op) => owner.add(op))
    assert.strictEqual(owner.failAll(S.STATUS_CANCELLED), 2)
    assert.isTrue(ops.every((op) => op.done))
    assert.strictEqual(stats.outstanding, 0)
  })
})
