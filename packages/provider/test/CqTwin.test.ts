import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkAdapter, NdkCq, NdkCqNotificationCallback } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ANY, createPd, createQp, hosts, open, registered, run, S, settle, sge, yields } from "./utils/setup.js"

/** A CQ whose callback has a synchronous twin; records which path each notification took. */
const twinCq = (adapter: NdkAdapter) =>
  Effect.gen(function*() {
    const seen = { twin: [] as Array<number>, effect: [] as Array<number> }
    const callback: NdkCqNotificationCallback = Object.assign(
      (_c: unknown, status: number) => Effect.sync(() => void seen.effect.push(status)),
      { unsafe: (_c: unknown, status: number) => void seen.twin.push(status) }
    )
    const out = OutParam.out<NdkCq>()
    const st = yield* adapter.Dispatch.NdkCreateCq(adapter, 64, callback, null, null, () => Effect.void, null, out)
    expect(st).toBe(S.STATUS_SUCCESS)
    return { cq: out.value!, seen }
  })

const single = Effect.gen(function*() {
  const { hosts: [h] } = yield* hosts(1)
  const adapter = yield* open(h!.provider)
  const pd = yield* createPd(adapter)
  const { cq, seen } = yield* twinCq(adapter)
  const qp = yield* createQp(pd, cq, cq, { rq: 64 })
  const buf = yield* registered(h!.nic, pd, 8192)
  /** posts `n` receives, then flushes them (n CANCELLED completions) */
  const flushed = (n: number) =>
    Effect.gen(function*() {
      for (let i = 0; i < n; i++) expect(yield* qp.Dispatch.NdkReceive(qp, i, [sge(buf, 0, 64)], 1)).toBe(0)
      yield* qp.Dispatch.NdkFlush(qp)
    })
  return { adapter, cq, qp, seen, flushed }
})

describe("CQ notification through the callback's synchronous twin", () => {
  it.scoped("R56/R63: the twin runs once per satisfied arm, from the engine, never inside NdkArmCq", () =>
    Effect.gen(function*() {
      const s = yield* single
      yield* s.flushed(2)
      yield* run(200)
      // completions are queued: the arm is satisfied at once, but nothing runs inside the call
      s.cq.unsafe!.NdkArmCq(s.cq, ANY)
      expect(s.seen).toEqual({ twin: [], effect: [] })
      yield* settle(() => s.seen.twin.length > 0)
      expect(s.seen).toEqual({ twin: [S.STATUS_SUCCESS], effect: [] })
      // the arm was consumed: nothing more without a new arm
      yield* run(500)
      expect(s.seen.twin.length).toBe(1)
    }))

  it.scoped("R19: no twin runs after the close call, even for an arm satisfied just before it", () =>
    Effect.gen(function*() {
      const s = yield* single
      s.cq.unsafe!.NdkArmCq(s.cq, ANY)
      // the flush queues completions and satisfies the arm; the close comes before the engine delivers it
      yield* s.flushed(1)
      const closed: Array<unknown> = []
      yield* s.qp.Dispatch.NdkCloseQp(s.qp, (ctx) => Effect.sync(() => void closed.push(ctx)), "qp")
      yield* s.cq.Dispatch.NdkCloseCq(s.cq, (ctx) => Effect.sync(() => void closed.push(ctx)), "cq")
      yield* yields(50)
      yield* run(500)
      expect(s.seen).toEqual({ twin: [], effect: [] })
    }))

  it.scoped("R63: with interrupt moderation the notification takes the serialized Effect path", () =>
    Effect.gen(function*() {
      const s = yield* single
      expect(yield* s.cq.Dispatch.NdkControlCqInterruptModeration(s.cq, 100, 4)).toBe(S.STATUS_SUCCESS)
      s.cq.unsafe!.NdkArmCq(s.cq, ANY)
      yield* s.flushed(1)
      yield* settle(() => s.seen.effect.length > 0)
      expect(s.seen).toEqual({ twin: [], effect: [S.STATUS_SUCCESS] })
    }))
})
