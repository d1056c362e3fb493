import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Scope from "effect/Scope"
import * as Supervisor from "effect/Supervisor"
import * as Lifetime from "../src/Lifetime.js"
import { State, Violation } from "../src/LifetimeEvent.js"
import * as Resource from "../src/Resource.js"
import { flush, prng, S, T } from "./utils/harness.js"

type Entry =
  | { readonly kind: "cbStart" | "cbEnd"; readonly id: number }
  | { readonly kind: "closeStart" | "closeEnd"; readonly id: number; readonly context: unknown }
  | { readonly kind: "closeCall"; readonly id: number; readonly status: number }

interface Obj {
  readonly rec: Lifetime.LifetimeObject
  readonly context: object
  unstarted: number
  firstStatus: number | undefined
  closeCalls: number
}

interface Running {
  readonly open: Effect.Effect<void>
}

const scenario = (seed: number, requests: number, notifications: number, successors: number) =>
  Effect.gen(function*() {
    const rnd = prng(seed)
    const events: Array<{ kind: string; detail: number }> = []
    const k = Lifetime.unsafeMake({ sink: (e) => events.push(e), watchdog: 0 })
    const log: Array<Entry> = []
    const parent = Lifetime.unsafeCreate(k, T.Pd)!
    const recs = [parent]
    for (let i = 0; i < successors; i++) recs.push(Lifetime.unsafeCreate(k, T.Qp, parent)!)
    if (successors >= 2) Lifetime.unsafeAddDependency(k, recs[1], recs[2]) // an extra edge, e.g. CQ → QP
    const objs: Array<Obj> = recs.map((rec) => ({
      rec,
      context: { id: rec.id },
      unstarted: 0,
      firstStatus: undefined,
      closeCalls: 0
    }))
    for (let i = 0; i < requests; i++) {
      const o = objs[rnd(objs.length)]
      assert.strictEqual(Lifetime.unsafeBeginRequest(k, o.rec), S.STATUS_SUCCESS)
      o.unstarted++
    }
    let notifyLeft = notifications
    const running: Array<Running> = []

    const closeCompletion = (id: number) => (context: unknown) =>
      Effect.zipRight(
        Effect.sync(() => log.push({ kind: "closeStart", id, context })),
        Effect.zipRight(Effect.yieldNow(), Effect.sync(() => log.push({ kind: "closeEnd", id, context })))
      )

    const doClose = (o: Obj) =>
      Effect.flatMap(
        Lifetime.close(k, o.rec, { completion: closeCompletion(o.rec.id), context: o.context }),
        (status) =>
          Effect.sync(() => {
            o.closeCalls++
            log.push({ kind: "closeCall", id: o.rec.id, status })
            if (o.firstStatus === undefined) o.firstStatus = status
            else assert.strictEqual(status, o.firstStatus) // second close: first status, no new completion
            assert.isTrue(status === S.STATUS_SUCCESS || status === S.STATUS_PENDING) // R12
          })
      )

    const notYetClosed = () => objs.filter((o) => o.firstStatus === undefined)

    /** A callback gated by a latch; it may close a random object (itself included) from inside. */
    const gatedCallback = (id: number) =>
      Effect.gen(function*() {
        const latch = yield* Effect.makeLatch(false)
        const closeInside = rnd(3) === 0
        const body = Effect.gen(function*() {
          log.push({ kind: "cbStart", id })
          yield* latch.await
          if (closeInside) {
            const candidates = notYetClosed()
            if (candidates.length > 0) yield* doClose(candidates[rnd(candidates.length)])
          }
          log.push({ kind: "cbEnd", id })
        })
        return { body, open: latch.open }
      })

    // run a random schedule until nothing is left to do
    for (let step = 0; step < 1000; step++) {
      const actions: Array<() => Effect.Effect<void>> = []
      const withRequests = objs.filter((o) => o.unstarted > 0)
      if (withRequests.length > 0) {
        actions.push(() =>
          Effect.gen(function*() {
            const o = withRequests[rnd(withRequests.length)]
            o.unstarted--
            const cb = yield* gatedCallback(o.rec.id)
            running.push({ open: cb.open })
            yield* Effect.fork(Lifetime.complete(k, o.rec, cb.body))
            yield* flush
          })
        )
      }
      if (notifyLeft > 0) {
        actions.push(() =>
          Effect.gen(function*() {
            notifyLeft--
            const o = objs[rnd(objs.length)]
            const cb = yield* gatedCallback(o.rec.id)
            if (Lifetime.mayNotify(o.rec)) {
              running.push({ open: cb.open })
              yield* Effect.fork(Lifetime.notify(k, o.rec, cb.body))
              yield* flush
            } else {
              assert.isFalse(yield* Lifetime.notify(k, o.rec, cb.body)) // R19: refused, never run
            }
          })
        )
      }
      if (running.length > 0) {
        actions.push(() =>
          Effect.gen(function*() {
            const i = rnd(running.length)
            const r = running[i]
            running.splice(i, 1)
            yield* r.open
            yield* flush
          })
        )
      }
      const open = notYetClosed()
      if (open.length > 0) {
        actions.push(() => Effect.zipRight(doClose(open[rnd(open.length)]), flush))
      }
      if (rnd(8) === 0) {
        const closing = objs.filter((o) => o.firstStatus !== undefined)
        if (closing.length > 0) {
          actions.push(() =>
            Effect.gen(function*() {
              const o = closing[rnd(closing.length)]
              yield* doClose(o)
              // use after close is refused and never tracked
              assert.strictEqual(Lifetime.unsafeBeginRequest(k, o.rec), S.STATUS_INVALID_DEVICE_STATE)
            })
          )
        }
      }
      if (actions.length === 0) break
      yield* actions[rnd(actions.length)]()
    }
    yield* flush

    // every object is closed, nothing left behind
    for (const o of objs) assert.strictEqual(o.rec.state, State.Closed)
    assert.strictEqual(k.objects.size, 0)

    const idx = (pred: (e: Entry) => boolean) => log.findIndex(pred)
    const lastIdx = (pred: (e: Entry) => boolean) => {
      for (let i = log.length - 1; i >= 0; i--) if (pred(log[i])) return i
      return -1
    }
    const began = new Map<number, number>()
    const finished = new Map<number, number>()
    for (const o of objs) {
      const id = o.rec.id
      const starts = log.filter((e) => e.kind === "closeStart" && e.id === id)
      // one completion per PENDING, none otherwise (R1, R2, R13, R14), with the context (R3)
      if (o.firstStatus === S.STATUS_PENDING) {
        assert.strictEqual(starts.length, 1)
        assert.strictEqual((starts[0] as { context: unknown }).context, o.context)
      } else {
        assert.strictEqual(o.firstStatus, S.STATUS_SUCCESS)
        assert.strictEqual(starts.length, 0)
      }
      const firstCall = idx((e) => e.kind === "closeCall" && e.id === id)
      const b = o.firstStatus === S.STATUS_PENDING ? idx((e) => e.kind === "closeStart" && e.id === id) : firstCall
      const f = o.firstStatus === S.STATUS_PENDING ? idx((e) => e.kind === "closeEnd" && e.id === id) : firstCall
      began.set(id, b)
      finished.set(id, f)
      // nothing after the close completion (R13, R15)
      assert.strictEqual(lastIdx((e) => (e.kind === "cbStart" || e.kind === "cbEnd") && e.id === id) < b, true)
      // close completion strictly after the last callback returned (R16, R17)
      const lastEnd = lastIdx((e) => e.kind === "cbEnd" && e.id === id)
      assert.isTrue(lastEnd < b)
      // a second close is a recorded violation (R31)
      const violations = events.filter((e) => e.kind === "ConsumerViolation" && e.detail === Violation.SecondClose)
      assert.isTrue(o.closeCalls <= 1 || violations.length > 0)
    }
    // antecedents after successors (R22, R27)
    for (const c of objs.slice(1)) assert.isTrue(began.get(parent.id)! > finished.get(c.rec.id)!)
    if (successors >= 2) assert.isTrue(began.get(recs[1].id)! > finished.get(recs[2].id)!)
  })

describe("Lifetime properties", () => {
  it.effect.prop(
    "random interleavings of requests, notifications, successors and closes (outside and inside callbacks)",
    {
      seed: FastCheck.integer({ min: 1, max: 0x7fffffff }),
      requests: FastCheck.integer({ min: 0, max: 8 }),
      notifications: FastCheck.integer({ min: 0, max: 4 }),
      successors: FastCheck.integer({ min: 0, max: 4 })
    },
    ({ notifications, requests, seed, successors }) => scenario(seed, requests, notifications, successors),
    { fastCheck: { numRuns: 300 } }
  )

  it.effect("10^5 create/close cycles leave no fibers, finalizers or map entries behind", () =>
    Effect.gen(function*() {
      const k = Lifetime.unsafeMake({ watchdog: "1 second" })
      const adapter = Lifetime.unsafeCreate(k, T.Adapter)!
      const outer = yield* Scope.make()
      const supervisor = yield* Supervisor.track
      const cycles = 100_000
      yield* Effect.supervised(
        Effect.gen(function*() {
          for (let i = 0; i < cycles; i++) {
            const inner = yield* Scope.fork(outer, ExecutionStrategy.sequential)
            const dones: Array<(s: number) => void> = []
            const pd = yield* Scope.extend(
              Resource.acquire(k, {
                type: T.Pd,
                parent: adapter,
                cancel: () =>
                  Effect.sync(() => {
                    for (const d of dones) d(S.STATUS_CANCELLED)
                  })
              }),
              inner
            )
            if (i % 100 === 0) {
              // a close that pends: a request outstanding, cancelled by the close
              yield* Effect.fork(Resource.request(k, pd, (done) => dones.push(done)))
              yield* Effect.yieldNow()
            }
            yield* Scope.close(inner, Exit.void)
          }
        }),
        supervisor
      )
      yield* flush
      const outerState = (outer as unknown as { readonly state: { readonly finalizers: { readonly size: number } } })
        .state
      assert.strictEqual(outerState.finalizers.size, 0)
      assert.strictEqual(k.objects.size, 1) // the adapter only
      assert.strictEqual(adapter.successors, 0)
      assert.strictEqual(Lifetime.snapshot(adapter).successors.length, 0)
      assert.strictEqual(k.watchdogs, 0)
      assert.strictEqual(k.controls, 0)
      const live = (yield* supervisor.value).filter((f) => f.unsafePoll() === null)
      assert.strictEqual(live.length, 0)
      assert.strictEqual(k.nextId, cycles + 2) // every cycle really created an object
    }))
})
