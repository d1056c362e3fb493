import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import * as Lifetime from "../src/Lifetime.js"
import { CallbackKind, State, Violation } from "../src/LifetimeEvent.js"
import { flush, S, setup, T } from "./utils/harness.js"

describe("Lifetime kernel", () => {
  it.effect("R12: close returns only STATUS_SUCCESS or STATUS_PENDING, in every state", () =>
    Effect.gen(function*() {
      const h = setup()
      const idle = Lifetime.unsafeCreate(h.k, T.Pd)!
      assert.strictEqual(yield* Lifetime.close(h.k, idle), S.STATUS_SUCCESS)
      assert.strictEqual(yield* Lifetime.close(h.k, idle), S.STATUS_SUCCESS) // closed: second close
      const busy = Lifetime.unsafeCreate(h.k, T.Mr)!
      assert.strictEqual(Lifetime.unsafeBeginRequest(h.k, busy), S.STATUS_SUCCESS)
      assert.strictEqual(yield* Lifetime.close(h.k, busy, { completion: h.closeCompletion(busy.id) }), S.STATUS_PENDING)
      assert.strictEqual(yield* Lifetime.close(h.k, busy), S.STATUS_PENDING) // closing: second close
      yield* Lifetime.complete(h.k, busy, h.requestCompletion(busy.id, S.STATUS_CANCELLED))
      assert.strictEqual(yield* Lifetime.close(h.k, busy), S.STATUS_PENDING) // closed after pending
      assert.strictEqual(busy.state, State.Closed)
    }))

  it.effect("R13: after a STATUS_SUCCESS close no callback of any kind is made for the object", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      const st = yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id), context: "ctx" })
      assert.strictEqual(st, S.STATUS_SUCCESS)
      // the provider can no longer start anything that would call back
      assert.isFalse(yield* Lifetime.notify(h.k, cq, h.notification(cq.id)))
      assert.strictEqual(Lifetime.unsafeBeginRequest(h.k, cq), S.STATUS_INVALID_DEVICE_STATE)
      yield* flush
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(h.calls, [])
      assert.strictEqual(cq.state, State.Closed)
      assert.isFalse(h.k.objects.has(cq.id))
    }))

  it.effect("R14: after STATUS_PENDING exactly one close completion occurs, with the supplied context", () =>
    Effect.gen(function*() {
      const h = setup()
      const mr = Lifetime.unsafeCreate(h.k, T.Mr)!
      Lifetime.unsafeBeginRequest(h.k, mr)
      Lifetime.unsafeBeginRequest(h.k, mr)
      const ctx = { token: Symbol("ctx") }
      assert.strictEqual(
        yield* Lifetime.close(h.k, mr, { completion: h.closeCompletion(mr.id), context: ctx }),
        S.STATUS_PENDING
      )
      assert.strictEqual(h.closesOf(mr.id).length, 0)
      yield* Lifetime.complete(h.k, mr, h.requestCompletion(mr.id, S.STATUS_CANCELLED))
      assert.strictEqual(h.closesOf(mr.id).length, 0)
      yield* Lifetime.complete(h.k, mr, h.requestCompletion(mr.id, S.STATUS_CANCELLED))
      const closes = h.closesOf(mr.id)
      assert.strictEqual(closes.length, 1)
      assert.strictEqual(closes[0].context, ctx) // by identity (R3)
      yield* Lifetime.settle(h.k, mr)
      yield* flush
      assert.strictEqual(h.closesOf(mr.id).length, 1)
    }))

  it.effect("R15: the close completion is the last callback; the event log shows none after it", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      Lifetime.unsafeBeginRequest(h.k, cq)
      yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) })
      yield* Lifetime.complete(h.k, cq, h.requestCompletion(cq.id, S.STATUS_CANCELLED))
      // attempts after close completion: all refused
      assert.isFalse(yield* Lifetime.notify(h.k, cq, h.notification(cq.id)))
      assert.strictEqual(yield* Lifetime.beginRequest(h.k, cq), S.STATUS_INVALID_DEVICE_STATE)
      // a provider bug (completing a request that is not pending) is refused: the callback never runs
      yield* Lifetime.complete(h.k, cq, h.requestCompletion(cq.id, S.STATUS_SUCCESS))
      const lastClose = h.events.findIndex((e) =>
        e.id === cq.id && e.kind === "CallbackReturned" && e.detail === CallbackKind.CloseCompletion
      )
      assert.isAbove(lastClose, -1)
      const after = h.events.slice(lastClose + 1).filter((e) =>
        e.id === cq.id && (e.kind === "CallbackStarted" || e.kind === "NotificationBegun" || e.kind === "RequestBegun")
      )
      assert.deepStrictEqual(after, [])
      assert.deepStrictEqual(h.calls.map((c) => `${c.what}:${c.phase}`), [
        "request:start",
        "request:end",
        "close:start",
        "close:end"
      ])
    }))

  it.effect("R16: the close completion does not run while a request completion callback is executing", () =>
    Effect.gen(function*() {
      const h = setup()
      const conn = Lifetime.unsafeCreate(h.k, T.Connector)!
      Lifetime.unsafeBeginRequest(h.k, conn)
      const delivery = yield* Effect.fork(
        Lifetime.complete(h.k, conn, h.requestCompletion(conn.id, S.STATUS_SUCCESS, Effect.sleep("5 seconds")))
      )
      yield* flush
      assert.strictEqual(yield* Lifetime.close(h.k, conn, { completion: h.closeCompletion(conn.id) }), S.STATUS_PENDING)
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(h.closesOf(conn.id).length, 0)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(delivery)
      const endReq = h.index((c) => c.what === "request" && c.phase === "end")
      const startClose = h.index((c) => c.what === "close" && c.phase === "start")
      assert.isTrue(endReq >= 0 && startClose > endReq)
    }))

  it.effect("R17: closing a CQ while its notification callback runs pends until the callback returned", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      const n = yield* Effect.fork(Lifetime.notify(h.k, cq, h.notification(cq.id, Effect.sleep("1 second"))))
      yield* flush
      assert.strictEqual(cq.notifying, 1)
      assert.strictEqual(yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) }), S.STATUS_PENDING)
      assert.strictEqual(h.closesOf(cq.id).length, 0)
      yield* TestClock.adjust("1 second")
      assert.isTrue(yield* Fiber.join(n))
      const endN = h.index((c) => c.what === "notification" && c.phase === "end")
      const startClose = h.index((c) => c.what === "close" && c.phase === "start")
      assert.isTrue(endN >= 0 && startClose > endN)
    }))

  it.effect("R18: an armed (not running) notification does not hold the close and is never raised", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      // arming is provider state, not a kernel count: the close succeeds at once
      assert.strictEqual(yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) }), S.STATUS_SUCCESS)
      assert.isFalse(yield* Lifetime.notify(h.k, cq, h.notification(cq.id)))
      assert.deepStrictEqual(h.calls, [])
    }))

  it.effect("R19: no notification starts after close was requested, even while the close pends", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      const qp = Lifetime.unsafeCreate(h.k, T.Qp, undefined, [cq])!
      assert.strictEqual(yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) }), S.STATUS_PENDING)
      assert.isFalse(Lifetime.mayNotify(cq))
      assert.isFalse(yield* Lifetime.notify(h.k, cq, h.notification(cq.id)))
      assert.isTrue(h.events.some((e) => e.kind === "NotificationRefused" && e.id === cq.id))
      yield* Lifetime.close(h.k, qp)
      yield* flush
      assert.deepStrictEqual(h.calls.map((c) => c.what), ["close", "close"])
    }))

  it.effect("R20: closing a listener while its connect-event callback runs pends until it returned", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const listener = Lifetime.unsafeCreate(h.k, T.Listener, adapter)!
      let delivered: Lifetime.LifetimeObject | undefined
      const ev = Effect.gen(function*() {
        // the provider creates the incoming connector (edge listener → connector) before raising the event
        const c = Lifetime.unsafeCreate(h.k, T.Connector, adapter, [listener])!
        yield* Lifetime.notify(
          h.k,
          listener,
          h.notification(
            listener.id,
            Effect.zipRight(
              Effect.sync(() => {
                delivered = c
              }),
              Effect.sleep("2 seconds")
            )
          )
        )
      })
      const f = yield* Effect.fork(ev)
      yield* flush
      assert.strictEqual(
        yield* Lifetime.close(h.k, listener, { completion: h.closeCompletion(listener.id) }),
        S.STATUS_PENDING
      )
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(f)
      assert.strictEqual(h.closesOf(listener.id).length, 0) // still held by the connector it handed out
      assert.strictEqual(yield* Lifetime.close(h.k, delivered!), S.STATUS_SUCCESS)
      yield* flush
      assert.strictEqual(h.closesOf(listener.id).length, 1)
      const endN = h.index((c) => c.what === "notification" && c.phase === "end")
      assert.isTrue(endN < h.index((c) => c.what === "close"))
    }))

  it.effect("R21/R168: pending requests are cancelled through their completion path before the close completes", () =>
    Effect.gen(function*() {
      const h = setup()
      const conn = Lifetime.unsafeCreate(h.k, T.Connector)!
      const pendingCtx = ["connect", "disconnect"]
      for (const _ of pendingCtx) Lifetime.unsafeBeginRequest(h.k, conn)
      // the provider's cancel step: hand CANCELLED completions to its delivery fiber (not inline, R168)
      const cancel = Effect.asVoid(Effect.forkDaemon(
        Effect.forEach(
          pendingCtx,
          (_, i) => Lifetime.complete(h.k, conn, h.requestCompletion(i, S.STATUS_CANCELLED)),
          { discard: true }
        )
      ))
      const st = yield* Lifetime.close(h.k, conn, { completion: h.closeCompletion(conn.id), context: 7, cancel })
      assert.strictEqual(st, S.STATUS_PENDING)
      assert.deepStrictEqual(h.calls, []) // nothing ran inside the close call
      yield* flush
      assert.deepStrictEqual(
        h.calls.map((c) => `${c.what}:${c.phase}:${c.status ?? ""}`),
        [
          `request:start:${S.STATUS_CANCELLED}`,
          `request:end:${S.STATUS_CANCELLED}`,
          `request:start:${S.STATUS_CANCELLED}`,
          `request:end:${S.STATUS_CANCELLED}`,
          "close:start:",
          "close:end:"
        ]
      )
    }))

  it.effect("R22: a PD with open children pends until the last child's close completion returned", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const kids = [T.Qp, T.Mr, T.Mw, T.Srq].map((t) => Lifetime.unsafeCreate(h.k, t, pd)!)
      for (const c of kids) Lifetime.unsafeBeginRequest(h.k, c)
      assert.strictEqual(yield* Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id) }), S.STATUS_PENDING)
      for (const c of kids) {
        assert.strictEqual(yield* Lifetime.close(h.k, c, { completion: h.closeCompletion(c.id) }), S.STATUS_PENDING)
      }
      for (const c of kids) {
        assert.strictEqual(h.closesOf(pd.id).length, 0)
        yield* Lifetime.complete(h.k, c, Effect.void)
      }
      const lastKidEnd = h.lastIndex((c) => c.what === "close" && c.phase === "end" && c.id !== pd.id)
      const pdStart = h.index((c) => c.what === "close" && c.id === pd.id)
      assert.isTrue(pdStart > lastKidEnd)
      assert.strictEqual(h.closesOf(pd.id).length, 1)
      assert.strictEqual(h.k.objects.size, 0)
    }))

  it.effect("R23/R24: a CQ or SRQ used by an open QP stays pending until the QP is closed", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      const srq = Lifetime.unsafeCreate(h.k, T.Srq, pd)!
      const qp = Lifetime.unsafeCreate(h.k, T.Qp, pd, [cq, cq, srq])!
      assert.deepStrictEqual([...Lifetime.snapshot(qp).antecedents].sort(), [pd.id, cq.id, srq.id].sort())
      assert.strictEqual(cq.successors, 1) // same CQ twice = one edge
      assert.strictEqual(yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) }), S.STATUS_PENDING)
      assert.strictEqual(yield* Lifetime.close(h.k, srq, { completion: h.closeCompletion(srq.id) }), S.STATUS_PENDING)
      // the QP keeps working (R28): requests on it are still accepted
      assert.strictEqual(Lifetime.unsafeBeginRequest(h.k, qp), S.STATUS_SUCCESS)
      yield* Lifetime.complete(h.k, qp, Effect.void)
      yield* flush
      assert.strictEqual(h.calls.length, 0)
      assert.strictEqual(yield* Lifetime.close(h.k, qp), S.STATUS_SUCCESS)
      assert.strictEqual(h.calls.length, 0) // never inside the QP's close call (§8.10 item 6)
      yield* flush
      assert.deepStrictEqual(h.calls.filter((c) => c.phase === "start").map((c) => c.id).sort(), [cq.id, srq.id].sort())
    }))

  it.effect("R25: a QP with a bound connector (edge formed at connect) stays pending until the connector closed", () =>
    Effect.gen(function*() {
      const h = setup()
      const qp = Lifetime.unsafeCreate(h.k, T.Qp)!
      const conn = Lifetime.unsafeCreate(h.k, T.Connector)!
      assert.strictEqual(yield* Lifetime.addDependency(h.k, qp, conn), S.STATUS_SUCCESS)
      assert.strictEqual(yield* Lifetime.close(h.k, qp, { completion: h.closeCompletion(qp.id) }), S.STATUS_PENDING)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(h.closesOf(qp.id).length, 0)
      assert.strictEqual(yield* Lifetime.close(h.k, conn), S.STATUS_SUCCESS)
      yield* flush
      assert.strictEqual(h.closesOf(qp.id).length, 1)
    }))

  it.effect("R26: an MR with a bound MW stays pending until the MW is invalidated (edge removed) or closed", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const mr = Lifetime.unsafeCreate(h.k, T.Mr, pd)!
      const mw = Lifetime.unsafeCreate(h.k, T.Mw, pd)!
      assert.strictEqual(Lifetime.unsafeAddDependency(h.k, mr, mw), S.STATUS_SUCCESS)
      assert.strictEqual(yield* Lifetime.close(h.k, mr, { completion: h.closeCompletion(mr.id) }), S.STATUS_PENDING)
      assert.strictEqual(h.closesOf(mr.id).length, 0)
      yield* Lifetime.removeDependency(h.k, mr, mw) // invalidate
      assert.strictEqual(h.closesOf(mr.id).length, 1)
      // second MR, this time the MW is closed instead
      const mr2 = Lifetime.unsafeCreate(h.k, T.Mr, pd)!
      assert.strictEqual(Lifetime.unsafeAddDependency(h.k, mr2, mw), S.STATUS_SUCCESS)
      assert.strictEqual(yield* Lifetime.close(h.k, mr2, { completion: h.closeCompletion(mr2.id) }), S.STATUS_PENDING)
      assert.strictEqual(yield* Lifetime.close(h.k, mw), S.STATUS_SUCCESS)
      yield* flush
      assert.strictEqual(h.closesOf(mr2.id).length, 1)
      // an edge to a closing antecedent is refused
      const mw2 = Lifetime.unsafeCreate(h.k, T.Mw, pd)!
      yield* Lifetime.close(h.k, pd)
      assert.strictEqual(Lifetime.unsafeAddDependency(h.k, pd, mw2), S.STATUS_INVALID_DEVICE_STATE)
    }))

  it.effect("R27: an antecedent's close completion never runs while a successor's close completion runs", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const qp = Lifetime.unsafeCreate(h.k, T.Qp, pd)!
      Lifetime.unsafeBeginRequest(h.k, qp)
      yield* Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id) })
      yield* Lifetime.close(h.k, qp, { completion: h.closeCompletion(qp.id, Effect.sleep("3 seconds")) })
      const f = yield* Effect.fork(Lifetime.complete(h.k, qp, Effect.void))
      yield* flush
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(h.closesOf(pd.id).length, 0)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(f)
      assert.deepStrictEqual(
        h.calls.map((c) => `${c.id}:${c.phase}`),
        [`${qp.id}:start`, `${qp.id}:end`, `${pd.id}:start`, `${pd.id}:end`]
      )
    }))

  it.effect("R30: close from inside the object's own completion callback: no deadlock, completion after return", () =>
    Effect.gen(function*() {
      const h = setup()
      const conn = Lifetime.unsafeCreate(h.k, T.Connector)!
      Lifetime.unsafeBeginRequest(h.k, conn)
      let inner = -1
      yield* Lifetime.complete(
        h.k,
        conn,
        h.requestCompletion(
          conn.id,
          S.STATUS_SUCCESS,
          Effect.flatMap(
            Lifetime.close(h.k, conn, { completion: h.closeCompletion(conn.id), context: "c" }),
            (st) =>
              Effect.sync(() => {
                inner = st
              })
          )
        )
      )
      assert.strictEqual(inner, S.STATUS_PENDING)
      assert.deepStrictEqual(
        h.calls.map((c) => `${c.what}:${c.phase}`),
        ["request:start", "request:end", "close:start", "close:end"]
      )
    }))

  it.effect("R30: close from inside the object's own notification callback", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      let inner = -1
      yield* Lifetime.notify(
        h.k,
        cq,
        h.notification(
          cq.id,
          Effect.flatMap(Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) }), (st) =>
            Effect.sync(() => {
              inner = st
            }))
        )
      )
      assert.strictEqual(inner, S.STATUS_PENDING)
      assert.deepStrictEqual(
        h.calls.map((c) => `${c.what}:${c.phase}`),
        ["notification:start", "notification:end", "close:start", "close:end"]
      )
    }))

  it.effect("R31: a second close fires no second completion and is recorded as a consumer violation", () =>
    Effect.gen(function*() {
      const h = setup()
      const mr = Lifetime.unsafeCreate(h.k, T.Mr)!
      Lifetime.unsafeBeginRequest(h.k, mr)
      assert.strictEqual(yield* Lifetime.close(h.k, mr, { completion: h.closeCompletion(mr.id), context: 1 }), 0x103)
      assert.strictEqual(yield* Lifetime.close(h.k, mr, { completion: h.closeCompletion(mr.id), context: 2 }), 0x103)
      assert.strictEqual(Lifetime.unsafeBeginRequest(h.k, mr), S.STATUS_INVALID_DEVICE_STATE) // use after close
      yield* Lifetime.complete(h.k, mr, Effect.void)
      assert.strictEqual(yield* Lifetime.close(h.k, mr), S.STATUS_PENDING) // after Closed
      yield* flush
      const closes = h.closesOf(mr.id)
      assert.strictEqual(closes.length, 1)
      assert.strictEqual(closes[0].context, 1)
      const violations = h.events.filter((e) => e.kind === "ConsumerViolation").map((e) => e.detail)
      assert.deepStrictEqual(violations, [Violation.SecondClose, Violation.UseAfterClose, Violation.SecondClose])
    }))

  it.effect("R32: creating a child on a parent whose close was requested fails with STATUS_INVALID_DEVICE_STATE", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const pd = Lifetime.unsafeCreate(h.k, T.Pd, adapter)!
      const cq = Lifetime.unsafeCreate(h.k, T.Cq, adapter)!
      Lifetime.unsafeBeginRequest(h.k, pd)
      yield* Lifetime.close(h.k, pd)
      assert.strictEqual(Lifetime.unsafeCreate(h.k, T.Qp, pd), undefined)
      assert.strictEqual(Lifetime.unsafeBeginCreate(h.k, T.Mr, pd), undefined)
      assert.strictEqual(Lifetime.REFUSED_STATUS, S.STATUS_INVALID_DEVICE_STATE)
      // a closing antecedent named at creation refuses too
      yield* Lifetime.close(h.k, cq)
      const pd2 = Lifetime.unsafeCreate(h.k, T.Pd, adapter)!
      assert.strictEqual(Lifetime.unsafeCreate(h.k, T.Qp, pd2, [cq]), undefined)
      assert.strictEqual(h.k.objects.size, 3) // adapter, pd (closing), pd2
    }))

  it.effect("R165/R4: a pending create yields the object in its create completion, usable inside", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const cq = Lifetime.unsafeBeginCreate(h.k, T.Cq, adapter)!
      assert.strictEqual(cq.state, State.Creating)
      assert.strictEqual(adapter.pending, 1)
      assert.strictEqual(Lifetime.unsafeBeginRequest(h.k, cq), S.STATUS_INVALID_DEVICE_STATE)
      let seen: Lifetime.LifetimeObject | undefined
      let inner = -1
      yield* Lifetime.completeCreate(h.k, cq, S.STATUS_SUCCESS, (obj) =>
        Effect.sync(() => {
          seen = obj
          inner = Lifetime.unsafeBeginRequest(h.k, obj!)
        }))
      assert.strictEqual(seen, cq)
      assert.strictEqual(inner, S.STATUS_SUCCESS)
      assert.strictEqual(adapter.pending, 0)
      assert.strictEqual(cq.pending, 1)
    }))

  it.effect("R167: closing a parent with a pending create cancels it first (no object), then completes", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      const qp = Lifetime.unsafeBeginCreate(h.k, T.Qp, pd, [cq])!
      let created: Lifetime.LifetimeObject | undefined | null = null
      const cancel = Effect.asVoid(Effect.forkDaemon(
        Lifetime.completeCreate(h.k, qp, S.STATUS_CANCELLED, (obj) =>
          Effect.sync(() => {
            created = obj
          }))
      ))
      assert.strictEqual(yield* Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id), cancel }), 0x103)
      assert.strictEqual(yield* Lifetime.close(h.k, cq, { completion: h.closeCompletion(cq.id) }), 0x103)
      yield* flush
      assert.strictEqual(created, undefined)
      assert.strictEqual(qp.state, State.Closed)
      assert.strictEqual(qp.createStatus, S.STATUS_CANCELLED)
      assert.strictEqual(h.closesOf(pd.id).length, 1)
      assert.strictEqual(h.closesOf(cq.id).length, 1)
      assert.strictEqual(h.k.objects.size, 0)
    }))

  it.effect("§8.6 / R27: adapter close blocks until every descendant is closed and every callback returned", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const pd = Lifetime.unsafeCreate(h.k, T.Pd, adapter)!
      const qp = Lifetime.unsafeCreate(h.k, T.Qp, pd)!
      Lifetime.unsafeBeginRequest(h.k, qp)
      const closing = yield* Effect.fork(Lifetime.closeAndWait(h.k, adapter))
      yield* flush
      assert.isNull(closing.unsafePoll())
      yield* Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id) })
      yield* Lifetime.close(h.k, qp, { completion: h.closeCompletion(qp.id, Effect.sleep("1 second")) })
      const f = yield* Effect.fork(Lifetime.complete(h.k, qp, Effect.void))
      yield* flush
      assert.isNull(closing.unsafePoll())
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(f)
      yield* Fiber.join(closing)
      assert.deepStrictEqual(h.calls.map((c) => `${c.id}:${c.phase}`), [
        `${qp.id}:start`,
        `${qp.id}:end`,
        `${pd.id}:start`,
        `${pd.id}:end`
      ])
      assert.strictEqual(adapter.state, State.Closed)
    }))

  it.effect("rule 7: a callback that fails or dies is contained, logged, and still counts as returned", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      Lifetime.unsafeBeginRequest(h.k, cq)
      Lifetime.unsafeBeginRequest(h.k, cq)
      yield* Lifetime.close(h.k, cq, {
        completion: () => Effect.die("close completion blew up")
      })
      yield* Lifetime.complete(h.k, cq, Effect.fail("typed failure"))
      yield* Lifetime.complete(
        h.k,
        cq,
        Effect.sync(() => {
          throw new Error("thrown")
        })
      )
      const failed = h.events.filter((e) => e.kind === "CallbackFailed").map((e) => e.detail)
      assert.deepStrictEqual(failed, [
        CallbackKind.RequestCompletion,
        CallbackKind.RequestCompletion,
        CallbackKind.CloseCompletion
      ])
      assert.strictEqual(cq.state, State.Closed)
      // a throwing notification too
      const cq2 = Lifetime.unsafeCreate(h.k, T.Cq)!
      assert.isTrue(yield* Lifetime.notify(h.k, cq2, Effect.die("boom")))
      assert.strictEqual(cq2.notifying, 0)
    }))

  it.effect("every state change and callback is an event; no event is built without a sink", () =>
    Effect.gen(function*() {
      const h = setup()
      const cq = Lifetime.unsafeCreate(h.k, T.Cq)!
      Lifetime.unsafeBeginRequest(h.k, cq)
      yield* Lifetime.close(h.k, cq, { completion: () => Effect.void })
      yield* Lifetime.complete(h.k, cq, Effect.void)
      assert.deepStrictEqual(h.events.map((e) => e.kind), [
        "Created",
        "RequestBegun",
        "StateChanged",
        "CloseRequested",
        "CallbackStarted",
        "CallbackReturned",
        "RequestEnded",
        "CallbackStarted",
        "CallbackReturned",
        "StateChanged"
      ])
      assert.deepStrictEqual(h.events.map((e) => e.seq), h.events.map((_, i) => i + 1))
      const quiet = Lifetime.unsafeMake()
      const o = Lifetime.unsafeCreate(quiet, T.Cq)!
      assert.strictEqual(yield* Lifetime.close(quiet, o), S.STATUS_SUCCESS)
      assert.strictEqual(quiet.seq, 0)
    }))

  it.effect("the endRequest twin delivers a close it made ready on its own fiber, once", () =>
    Effect.gen(function*() {
      const h = setup()
      const mr = Lifetime.unsafeCreate(h.k, T.Mr)!
      assert.strictEqual(yield* Lifetime.beginRequest(h.k, mr), S.STATUS_SUCCESS)
      assert.strictEqual(yield* Lifetime.close(h.k, mr, { completion: h.closeCompletion(mr.id), context: "x" }), 0x103)
      yield* Lifetime.endRequest(h.k, mr)
      assert.strictEqual(h.closesOf(mr.id).length, 0) // not inside the step
      yield* flush
      assert.strictEqual(h.closesOf(mr.id).length, 1)
      yield* Lifetime.endRequest(h.k, mr) // nothing pending: ignored, no second completion
      yield* flush
      assert.strictEqual(h.closesOf(mr.id).length, 1)
      assert.strictEqual(mr.pending, 0)
    }))

  it.effect("R27/R30: closing the parent from inside a child's close completion completes after it returned", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const qp = Lifetime.unsafeCreate(h.k, T.Qp, pd)!
      Lifetime.unsafeBeginRequest(h.k, qp)
      let inner = -1
      yield* Lifetime.close(h.k, qp, {
        completion: h.closeCompletion(
          qp.id,
          Effect.flatMap(Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id) }), (st) =>
            Effect.sync(() => {
              inner = st
            }))
        )
      })
      yield* Lifetime.complete(h.k, qp, Effect.void)
      assert.strictEqual(inner, S.STATUS_PENDING)
      assert.deepStrictEqual(h.calls.map((c) => `${c.id}:${c.phase}`), [
        `${qp.id}:start`,
        `${qp.id}:end`,
        `${pd.id}:start`,
        `${pd.id}:end`
      ])
    }))

  it.effect("R30/R165: closing the new object and its parent from inside the create completion", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const pd = Lifetime.unsafeCreate(h.k, T.Pd, adapter)!
      const mr = Lifetime.unsafeBeginCreate(h.k, T.Mr, pd)!
      const inner: Array<number> = []
      yield* Lifetime.completeCreate(h.k, mr, S.STATUS_SUCCESS, (obj) =>
        Effect.gen(function*() {
          inner.push(yield* Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id) }))
          inner.push(yield* Lifetime.close(h.k, obj!, { completion: h.closeCompletion(obj!.id) }))
          h.calls.push({ what: "create", phase: "end", id: obj!.id })
        }))
      yield* flush
      // the PD pends (its create request is still in its completion); the MR has nothing pending
      assert.deepStrictEqual(inner, [S.STATUS_PENDING, S.STATUS_SUCCESS])
      assert.deepStrictEqual(h.calls.map((c) => `${c.what}:${c.id}:${c.phase}`), [
        `create:${mr.id}:end`,
        `close:${pd.id}:start`,
        `close:${pd.id}:end`
      ])
      assert.deepStrictEqual([...h.k.objects.keys()], [adapter.id])
    }))
})
