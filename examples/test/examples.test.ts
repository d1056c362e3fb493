import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Bulk from "../src/Bulk.js"
import * as Credits from "../src/Credits.js"
import * as Demo from "../src/Demo.js"
import * as KeyValue from "../src/KeyValue.js"
import * as PingPong from "../src/PingPong.js"
import * as Shutdown from "../src/Shutdown.js"
import { runVirtual } from "../src/World.js"

describe("examples", () => {
  it.effect("ping-pong: every round trip completes; percentiles are ordered and positive", () =>
    Effect.gen(function*() {
      const r = yield* runVirtual(PingPong.pingPong({ rounds: 50 }))
      assert.strictEqual(r.rounds, 50)
      assert.isTrue(r.p50Us > 0 && r.p50Us <= r.p90Us && r.p90Us <= r.p99Us && r.p99Us <= r.maxUs)
    }))

  it.effect("bulk transfer: RDMA write + read back arrive intact", () =>
    Effect.gen(function*() {
      const r = yield* runVirtual(Bulk.bulk({ bytes: 128 * 1024 }))
      assert.isTrue(r.intact)
      assert.isTrue(r.writeMBps > 0 && r.readMBps > 0)
    }))

  it.effect("credit-based messaging: every message delivered in order, zero RNR NAKs", () =>
    Effect.gen(function*() {
      const r = yield* runVirtual(Credits.credits({ messages: 120, credits: 4 }))
      assert.strictEqual(r.rnrNaks, 0)
      assert.isTrue(r.inOrder)
      assert.isTrue(r.creditMessages > 0)
    }))

  it.effect("key-value service: several clients' updates land in the table; RDMA reads see them", () =>
    Effect.gen(function*() {
      const r = yield* runVirtual(KeyValue.keyValue({ clients: 3, updatesPerClient: 8 }))
      assert.strictEqual(r.updates, 24)
      assert.isTrue(r.consistent)
    }))

  it.effect("graceful shutdown under load: in-flight work flushed, everything closed, nothing leaks", () =>
    Effect.gen(function*() {
      const r = yield* runVirtual(Shutdown.load({ hosts: 3, qps: 2, durationMs: 1, size: 32, seed: 7, loss: 0 }))
      assert.deepStrictEqual(r.violations, [])
      assert.isTrue(r.requests > 0)
      assert.isTrue(r.inFlightAtShutdown > 0)
      assert.isTrue(r.totals.requestsFlushed > 0)
      assert.strictEqual(r.totals.closeCompletionsFired, r.totals.closesPended)
      assert.deepStrictEqual(r.totals.closed, r.totals.created)
      assert.strictEqual(r.nicRowsLeft, 0)
    }))

  it("the invariant check names each violation", () => {
    const v = Shutdown.check({
      created: { Qp: 2 },
      closed: { Qp: 1 },
      closesPended: 2,
      closeCompletionsFired: 1,
      requestsFlushed: 0,
      notificationsCancelled: 0,
      abandoned: 0,
      outstanding: 1,
      lost: 0,
      strays: 0
    }, 3)
    assert.strictEqual(v.length, 4)
    assert.match(v.join("\n"), /Qp: 2 created, 1 closed/)
  })
})

describe("main demo (npm start)", () => {
  it.effect("runs hosts with traffic, shuts down under load, prints both tables", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      const o = { ...Demo.defaults, hosts: 3, qps: 2, durationMs: 2 }
      const out = yield* Demo.demo(o, (l) => Effect.sync(() => void lines.push(l)))
      assert.isTrue(lines.length >= 2)
      const text = out.join("\n")
      assert.include(text, "requests")
      assert.include(text, "closes pended")
      assert.include(text, "requests flushed")
      assert.include(text, "notifications cancelled")
      assert.include(text, "invariants: all hold")
    }))

  it.effect("with packet loss the run still closes cleanly (seeded)", () =>
    Effect.gen(function*() {
      const out = yield* Demo.demo({ ...Demo.defaults, hosts: 2, qps: 2, durationMs: 2, loss: 0.01, seed: 3 }, () =>
        Effect.void)
      assert.include(out.join("\n"), "invariants: all hold")
    }))
})
