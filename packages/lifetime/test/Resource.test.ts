import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Scope from "effect/Scope"
import * as TestClock from "effect/TestClock"
import * as Lifetime from "../src/Lifetime.js"
import { State, Violation } from "../src/LifetimeEvent.js"
import * as Resource from "../src/Resource.js"
import { flush, S, setup, T } from "./utils/harness.js"

const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ message }) => {
    lines.push((Array.isArray(message) ? message : [message]).map(String).join(" "))
  })
  return { lines, layer: Logger.replace(Logger.defaultLogger, logger) }
}

describe("Resource (Effect face)", () => {
  it.effect("acquire creates, release closes; nothing is left in the kernel", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const seen = yield* Effect.scoped(Effect.gen(function*() {
        const pd = yield* Resource.acquire(h.k, { type: T.Pd, parent: adapter })
        const cq = yield* Resource.acquire(h.k, { type: T.Cq, parent: adapter })
        const qp = yield* Resource.acquire(h.k, { type: T.Qp, parent: pd, antecedents: [cq] })
        assert.strictEqual(qp.state, State.Open)
        assert.deepStrictEqual(Lifetime.snapshot(qp).antecedents, [cq.id, pd.id])
        return [pd, cq, qp]
      }))
      for (const o of seen) assert.strictEqual(o.state, State.Closed)
      assert.deepStrictEqual([...h.k.objects.keys()], [adapter.id])
      assert.strictEqual(adapter.successors, 0)
    }))

  it.effect("R4/R7: a pending create completes through the create completion; a failed create leaves nothing", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const pendingCreate = (status: number) => (obj: Lifetime.LifetimeObject) =>
        Effect.as(
          Effect.forkDaemon(Effect.zipRight(Effect.sleep("1 second"), Lifetime.completeCreate(h.k, obj, status))),
          S.STATUS_PENDING
        )
      const f = yield* Effect.fork(Effect.scoped(
        Effect.map(Resource.acquire(h.k, { type: T.Cq, parent: adapter, create: pendingCreate(0) }), (o) => o.state)
      ))
      yield* flush
      assert.isNull(f.unsafePoll())
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(f), State.Open)
      const failed = yield* Effect.fork(Effect.scoped(
        Resource.acquire(h.k, {
          type: T.Cq,
          parent: adapter,
          create: pendingCreate(S.STATUS_INSUFFICIENT_RESOURCES)
        })
      ))
      yield* TestClock.adjust("1 second")
      const exit = yield* Fiber.await(failed)
      assert.deepStrictEqual(
        exit,
        Exit.fail(new Resource.LifetimeError({ status: S.STATUS_INSUFFICIENT_RESOURCES, objectId: 3 }))
      )
      const inlineFail = yield* Effect.exit(Effect.scoped(Resource.acquire(h.k, {
        type: T.Cq,
        parent: adapter,
        create: () => Effect.succeed(S.STATUS_INSUFFICIENT_RESOURCES)
      })))
      assert.isTrue(Exit.isFailure(inlineFail))
      assert.deepStrictEqual([...h.k.objects.keys()], [adapter.id])
      assert.strictEqual(adapter.pending, 0)
    }))

  it.effect("R32: acquiring under a closing parent fails with STATUS_INVALID_DEVICE_STATE", () =>
    Effect.gen(function*() {
      const h = setup()
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      Lifetime.unsafeBeginRequest(h.k, pd)
      yield* Lifetime.close(h.k, pd)
      const exit = yield* Effect.exit(Effect.scoped(Resource.acquire(h.k, { type: T.Qp, parent: pd })))
      assert.deepStrictEqual(
        exit,
        Exit.fail(new Resource.LifetimeError({ status: S.STATUS_INVALID_DEVICE_STATE, objectId: pd.id }))
      )
    }))

  it.effect("interrupting a fiber during a pending create neither leaks nor skips the close", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      let created: Lifetime.LifetimeObject | undefined
      const f = yield* Effect.fork(Effect.scoped(Effect.zipRight(
        Resource.acquire(h.k, {
          type: T.Cq,
          parent: adapter,
          create: (obj) =>
            Effect.sync(() => {
              created = obj
              return S.STATUS_PENDING
            })
        }),
        Effect.never
      )))
      yield* flush
      const interrupting = yield* Effect.fork(Fiber.interrupt(f))
      yield* flush
      assert.isNull(interrupting.unsafePoll()) // acquisition is uninterruptible: waits for the create
      yield* Lifetime.completeCreate(h.k, created!, S.STATUS_SUCCESS)
      yield* Fiber.join(interrupting)
      assert.strictEqual(created!.state, State.Closed)
      assert.strictEqual(adapter.pending, 0)
      assert.strictEqual(adapter.successors, 0)
      assert.isFalse(h.events.some((e) => e.kind === "ConsumerViolation"))
    }))

  it.effect("release waits for the close completion; the cancel step completes pending requests", () =>
    Effect.gen(function*() {
      const h = setup()
      const [conn, r] = yield* Effect.scoped(Effect.gen(function*() {
        const dones: Array<(s: number) => void> = []
        const c = yield* Resource.acquire(h.k, {
          type: T.Connector,
          cancel: () =>
            Effect.sync(() => {
              for (const d of dones) d(S.STATUS_CANCELLED)
            })
        })
        const r = yield* Effect.fork(Resource.request(h.k, c, (done) => dones.push(done)))
        yield* flush
        assert.strictEqual(c.pending, 1)
        return [c, r] as const
      }))
      assert.strictEqual(yield* Fiber.join(r), S.STATUS_CANCELLED)
      assert.strictEqual(conn.state, State.Closed)
      assert.strictEqual(conn.pending, 0)
    }))

  it.effect("closing out of scope order (CQ before its QP) still obeys the successor rule", () =>
    Effect.gen(function*() {
      const h = setup()
      const cqScope = yield* Scope.make()
      const qpScope = yield* Scope.make()
      const cq = yield* Scope.extend(Resource.acquire(h.k, { type: T.Cq }), cqScope)
      const qp = yield* Scope.extend(Resource.acquire(h.k, { type: T.Qp, antecedents: [cq] }), qpScope)
      const closingCq = yield* Effect.fork(Scope.close(cqScope, Exit.void))
      yield* flush
      assert.strictEqual(cq.state, State.Closing)
      assert.isNull(closingCq.unsafePoll())
      yield* Scope.close(qpScope, Exit.void)
      yield* Fiber.join(closingCq)
      assert.strictEqual(qp.state, State.Closed)
      assert.strictEqual(cq.state, State.Closed)
      assert.strictEqual(h.k.objects.size, 0)
    }))

  it.effect("an explicit close inside the scope is not repeated by the release (no double close)", () =>
    Effect.gen(function*() {
      const h = setup()
      yield* Effect.scoped(
        Effect.gen(function*() {
          const mr = yield* Resource.acquire(h.k, { type: T.Mr })
          Lifetime.unsafeBeginRequest(h.k, mr)
          assert.strictEqual(yield* Lifetime.close(h.k, mr, { completion: h.closeCompletion(mr.id) }), 0x103)
          yield* Effect.forkDaemon(Effect.zipRight(Effect.sleep("1 second"), Lifetime.complete(h.k, mr, Effect.void)))
        }).pipe(Effect.fork, Effect.tap(() => TestClock.adjust("1 second")), Effect.flatMap(Fiber.join))
      )
      assert.strictEqual(h.calls.filter((c) => c.what === "close" && c.phase === "start").length, 1)
      assert.isFalse(h.events.some((e) => e.kind === "ConsumerViolation" && e.detail === Violation.SecondClose))
    }))

  it.effect("control requests are fibers tracked on the object; close interrupts them (STATUS_CANCELLED)", () =>
    Effect.gen(function*() {
      const h = setup()
      const conn = Lifetime.unsafeCreate(h.k, T.Connector)!
      const connect = yield* Effect.fork(Resource.control(h.k, conn, Effect.as(Effect.sleep("1 hour"), "connected")))
      yield* flush
      assert.strictEqual(conn.pending, 1)
      assert.strictEqual(h.k.controls, 1)
      assert.strictEqual(yield* Lifetime.close(h.k, conn, { completion: h.closeCompletion(conn.id) }), 0x103)
      const exit = yield* Fiber.await(connect)
      assert.deepStrictEqual(
        exit,
        Exit.fail(new Resource.LifetimeError({ status: S.STATUS_CANCELLED, objectId: conn.id }))
      )
      yield* flush
      assert.strictEqual(conn.state, State.Closed)
      assert.strictEqual(h.k.controls, 0)
      assert.strictEqual(h.closesOf(conn.id).length, 1)
      // refused on a closed object
      const late = yield* Effect.exit(Resource.control(h.k, conn, Effect.void))
      assert.isTrue(Exit.isFailure(late))
    }))

  it.effect("interrupting the caller of a control request interrupts it and ends the request", () =>
    Effect.gen(function*() {
      const h = setup()
      const conn = Lifetime.unsafeCreate(h.k, T.Connector)!
      const ok = yield* Resource.control(h.k, conn, Effect.succeed(42))
      assert.strictEqual(ok, 42)
      const f = yield* Effect.fork(Resource.control(h.k, conn, Effect.never))
      yield* flush
      assert.strictEqual(conn.pending, 1)
      yield* Fiber.interrupt(f)
      yield* flush
      assert.strictEqual(conn.pending, 0)
      assert.strictEqual(conn.controls, undefined)
      assert.strictEqual(yield* Lifetime.close(h.k, conn), S.STATUS_SUCCESS)
    }))

  it.effect("watchdog: a close pending past the threshold logs what it waits for and keeps waiting", () => {
    const logs = captureLogs()
    return Effect.gen(function*() {
      const h = setup({ watchdog: 10_000 })
      const pd = Lifetime.unsafeCreate(h.k, T.Pd)!
      const qp = Lifetime.unsafeCreate(h.k, T.Qp, pd)!
      Lifetime.unsafeBeginRequest(h.k, pd)
      assert.strictEqual(yield* Lifetime.close(h.k, pd, { completion: h.closeCompletion(pd.id) }), 0x103)
      yield* flush
      assert.strictEqual(h.k.watchdogs, 1)
      yield* TestClock.adjust("9 seconds")
      assert.strictEqual(logs.lines.length, 0)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(logs.lines.length, 1)
      assert.include(logs.lines[0], "1 pending request(s), 0 notification(s), 1 successor(s)")
      assert.include(logs.lines[0], `[${qp.id}]`)
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(logs.lines.length, 2)
      assert.strictEqual(h.events.filter((e) => e.kind === "CloseStalled").length, 2)
      yield* Lifetime.complete(h.k, pd, Effect.void)
      yield* Lifetime.close(h.k, qp)
      yield* flush
      assert.strictEqual(h.closesOf(pd.id).length, 1)
      assert.strictEqual(h.k.watchdogs, 0)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(logs.lines.length, 2)
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("a provider create or request start that dies leaks no count", () =>
    Effect.gen(function*() {
      const h = setup()
      const adapter = Lifetime.unsafeCreate(h.k, T.Adapter)!
      const exit = yield* Effect.exit(Effect.scoped(Resource.acquire(h.k, {
        type: T.Cq,
        parent: adapter,
        create: () => Effect.die("provider bug")
      })))
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(adapter.pending, 0)
      assert.strictEqual(adapter.successors, 0)
      const r = yield* Effect.exit(Resource.request(h.k, adapter, () => {
        throw new Error("start threw")
      }))
      assert.isTrue(Exit.isFailure(r))
      assert.strictEqual(adapter.pending, 0)
      assert.strictEqual(yield* Lifetime.close(h.k, adapter), S.STATUS_SUCCESS)
    }))
})
