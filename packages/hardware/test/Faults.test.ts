import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as TestContext from "effect/TestContext"
import * as Nic from "../src/Nic.js"
import { NicCode, Opcode, WrFlag } from "../src/NicCode.js"
import { collect, drain, pair, pattern, run, settle } from "./helpers.js"
import type { Pair } from "./helpers.js"

/** A mixed workload: sends, writes and reads of various sizes; checks every byte and every completion. */
const workload = (p: Pair, seed: number, messages: number, exact = false) =>
  Effect.gen(function*() {
    const { a, b } = p
    const sizes = [1, 100, 4096, 4097, 20000, 70000]
    const s = new Nic.Sgl(2)
    const region = 80000
    const expect: Array<{ kind: string; off: number; len: number; data: Uint8Array }> = []
    for (let m = 0; m < messages; m++) {
      const len = sizes[(m + seed) % sizes.length]!
      const data = pattern(len, seed * 1000 + m)
      const slot = m % 2
      const src = a.buf + slot * region
      a.nic.memory.write(src, data)
      const kind = m % 3 === 0 ? "send" : m % 3 === 1 ? "write" : "read"
      if (kind === "send") {
        b.nic.postReceive(b.qpn, m, s.one(b.buf + 2 * region, region, b.key))
        assert.strictEqual(a.nic.postSend(a.qpn, m, s.one(src, len, a.key), 0), 0)
        const cb = yield* collect(b, 1, { steps: 20000, exact })
        assert.deepStrictEqual([cb[0]!.status, cb[0]!.bytes, cb[0]!.context], [0, len, m])
        assert.deepStrictEqual(b.nic.memory.read(b.buf + 2 * region, len), data)
      } else if (kind === "write") {
        assert.strictEqual(a.nic.postWrite(a.qpn, m, s.one(src, len, a.key), 0, b.buf + 3 * region, b.key), 0)
        expect.push({ kind, off: 3 * region, len, data })
      } else {
        b.nic.memory.write(b.buf + 4 * region, data)
        assert.strictEqual(
          a.nic.postRead(a.qpn, m, s.one(a.buf + 5 * region, len, a.key), 0, b.buf + 4 * region, b.key),
          0
        )
      }
      const ca = yield* collect(a, 1, { steps: 20000, exact })
      assert.deepStrictEqual([ca[0]!.status, ca[0]!.context], [0, m])
      if (kind === "write") assert.deepStrictEqual(b.nic.memory.read(b.buf + 3 * region, len), data)
      if (kind === "read") assert.deepStrictEqual(a.nic.memory.read(a.buf + 5 * region, len), data)
    }
  })

const big = { bufBytes: 512 * 1024 }

describe("faults", () => {
  it.scoped("data arrives intact at 0% loss", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: big })
      yield* workload(p, 1, 18)
      const c = yield* p.fabric.counters
      assert.strictEqual(c.lost, 0)
    }))

  for (const loss of [0.01, 0.05, 0.1]) {
    it.scoped(`data arrives intact at ${loss * 100}% loss with duplication, reordering and corruption`, () =>
      Effect.gen(function*() {
        const p = yield* pair({
          side: big,
          fabric: {
            seed: 7 + loss * 100,
            latencyUs: 2,
            faults: { loss, duplicate: 0.03, reorder: 0.05, reorderMaxUs: 8, corrupt: 0.01 }
          },
          config: { ackTimeoutUs: 60, retryCount: 50 }
        })
        yield* workload(p, 2, 24)
        const c = yield* p.fabric.counters
        assert.isAbove(c.lost + c.corrupted, 0)
        assert.isAbove(c.duplicated + c.reordered, 0)
      }))
  }

  it.scoped("RNR retry succeeds when the receive is posted late", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ config: { rnrRetry: 5, rnrTimerUs: 100 } })
      a.nic.memory.write(a.buf, pattern(5000, 3))
      a.nic.postSend(a.qpn, "s", new Nic.Sgl(1).one(a.buf, 5000, a.key), 0)
      yield* run(250)
      assert.isAbove(b.nic.stats().rnrNaks, 0)
      b.nic.postReceive(b.qpn, "r", new Nic.Sgl(1).one(b.buf, 8192, b.key))
      const ca = yield* collect(a, 1)
      assert.strictEqual(ca[0]!.status, 0)
      assert.deepStrictEqual(b.nic.memory.read(b.buf, 5000), pattern(5000, 3))
    }))

  it.scoped("RNR retries exhaust when no receive is ever posted; later WRs flush", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ config: { rnrRetry: 3, rnrTimerUs: 100 } })
      const s = new Nic.Sgl(1).one(a.buf, 10, a.key)
      a.nic.postSend(a.qpn, "s", s, 0)
      a.nic.postWrite(a.qpn, "w", s, 0, b.buf, b.key)
      const ca = yield* collect(a, 2)
      assert.deepStrictEqual(ca.map((c) => [c.status, c.context]), [[NicCode.RNR_RETRY_EXCEEDED, "s"], [
        NicCode.FLUSHED,
        "w"
      ]])
      assert.strictEqual(b.nic.stats().rnrNaks, 4)
      assert.strictEqual(a.nic.qpState(a.qpn), Nic.QpState.ERROR)
    }))

  it.scoped("transport retries exhaust on a dead link (RETRY_EXCEEDED); the link can come back", () =>
    Effect.gen(function*() {
      const { a, b, fabric } = yield* pair({ config: { retryCount: 3, ackTimeoutUs: 100 } })
      yield* fabric.linkDown(2)
      a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(a.buf, 10, a.key), 0, b.buf, b.key)
      const ca = yield* collect(a, 1)
      assert.strictEqual(ca[0]!.status, NicCode.RETRY_EXCEEDED)
      yield* fabric.linkUp(2)
      const c = yield* fabric.counters
      assert.strictEqual(c.blocked, 4)
    }))

  it.scoped("a partition behaves like a dead path; healing restores delivery before retries run out", () =>
    Effect.gen(function*() {
      const { a, b, fabric } = yield* pair({ config: { retryCount: 7, ackTimeoutUs: 100 } })
      yield* fabric.partition(1, 2)
      a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(a.buf, 10, a.key), 0, b.buf, b.key)
      yield* run(250)
      yield* fabric.heal()
      const ca = yield* collect(a, 1)
      assert.strictEqual(ca[0]!.status, 0)
    }))

  it.scoped("R65: CQ overrun reports CQ_OVERRUN once, polls return 0, attached QPs fail posts", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ side: { cqDepth: 4 } })
      const s = new Nic.Sgl(1).one(a.buf, 8, a.key)
      for (let i = 0; i < 6; i++) a.nic.postWrite(a.qpn, i, s, 0, b.buf, b.key)
      yield* settle(() => a.events.length > 0)
      yield* run(200)
      assert.deepStrictEqual(a.events, [NicCode.CQ_OVERRUN])
      assert.strictEqual(a.nic.cqError(a.cq), NicCode.CQ_OVERRUN)
      assert.strictEqual(drain(a).length, 0)
      assert.strictEqual(a.nic.postWrite(a.qpn, 9, s, 0, b.buf, b.key), NicCode.CQ_IN_ERROR)
      assert.strictEqual(a.nic.qpState(a.qpn), Nic.QpState.ERROR)
      // still destroyable
      yield* a.nic.destroyQp(a.qpn)
      yield* a.nic.destroyCq(a.cq)
    }))

  it.scoped("R80/R85: flush completes every outstanding WR with FLUSHED; the peer sees REMOTE_OPERATION_ERROR", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1)
      for (let i = 0; i < 3; i++) b.nic.postReceive(b.qpn, `r${i}`, s.one(b.buf, 64, b.key))
      assert.strictEqual(b.nic.qpToError(b.qpn), 0)
      const cb = yield* collect(b, 3)
      assert.deepStrictEqual(cb.map((c) => [c.status, c.opcode, c.context]), [
        [NicCode.FLUSHED, Opcode.RECEIVE, "r0"],
        [NicCode.FLUSHED, Opcode.RECEIVE, "r1"],
        [NicCode.FLUSHED, Opcode.RECEIVE, "r2"]
      ])
      a.nic.postSend(a.qpn, "s", s.one(a.buf, 8, a.key), 0)
      a.nic.postSend(a.qpn, "s2", s.one(a.buf, 8, a.key), WrFlag.SILENT)
      const ca = yield* collect(a, 2)
      assert.deepStrictEqual(ca.map((c) => [c.status, c.context]), [[NicCode.REMOTE_OPERATION_ERROR, "s"], [
        NicCode.FLUSHED,
        "s2"
      ]])
      // posts on a QP in error complete at once with FLUSHED
      assert.strictEqual(a.nic.postSend(a.qpn, "late", s.one(a.buf, 8, a.key), 0), 0)
      const cl = yield* collect(a, 1)
      assert.deepStrictEqual([cl[0]!.status, cl[0]!.context], [NicCode.FLUSHED, "late"])
    }))

  it.scoped("R78/R99: a responder flushed while requests are in flight never lets the requester report success for them", () =>
    Effect.gen(function*() {
      // the link is slow enough that the write's packets are still on the wire when the responder is flushed:
      // the send at the head is refused (RNR, no receive posted), then the responder QP goes to error, then the
      // rest of the write arrives. Its NAKs must name the first PSN the responder did not execute — not the
      // arriving packet's — or the requester takes them as acknowledging the send and the write
      const { a, b } = yield* pair({
        fabric: { bandwidthGbps: 1 },
        config: { rnrRetry: 7, rnrTimerUs: 5000 },
        side: big
      })
      const s = new Nic.Sgl(1)
      const guard = b.nic.memory.read(b.buf, 64 * 1024)
      a.nic.memory.write(a.buf, pattern(64 * 1024, 9))
      assert.strictEqual(a.nic.postSend(a.qpn, "s", s.one(a.buf, 8, a.key), 0), 0)
      assert.strictEqual(a.nic.postWrite(a.qpn, "w", s.one(a.buf, 64 * 1024, a.key), 0, b.buf, b.key), 0)
      assert.strictEqual(a.nic.postWrite(a.qpn, "w2", s.one(a.buf, 8, a.key), 0, b.buf + 100_000, b.key), 0)
      yield* settle(() => b.nic.stats().rnrNaks > 0, { stepUs: 5 })
      assert.strictEqual(b.nic.qpToError(b.qpn), 0)
      const ca = yield* collect(a, 3)
      assert.deepStrictEqual(ca.map((c) => [c.status, c.context]), [
        [NicCode.REMOTE_OPERATION_ERROR, "s"],
        [NicCode.FLUSHED, "w"],
        [NicCode.FLUSHED, "w2"]
      ])
      assert.deepStrictEqual(b.nic.memory.read(b.buf, 64 * 1024), guard)
    }))

  it.scoped("R84: a send larger than the receive fails both sides", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1)
      b.nic.postReceive(b.qpn, "r", s.one(b.buf, 100, b.key))
      b.nic.postReceive(b.qpn, "r2", s.one(b.buf, 100, b.key))
      a.nic.postSend(a.qpn, "s", s.one(a.buf, 101, a.key), 0)
      const cb = yield* collect(b, 2)
      assert.deepStrictEqual(cb.map((c) => [c.status, c.context]), [[NicCode.LOCAL_LENGTH_ERROR, "r"], [
        NicCode.FLUSHED,
        "r2"
      ]])
      const ca = yield* collect(a, 1)
      assert.strictEqual(ca[0]!.status, NicCode.REMOTE_INVALID_REQUEST)
    }))

  it.scoped("R100/R101: bad remote key → REMOTE_ACCESS_ERROR; read beyond region → REMOTE_RANGE_ERROR; target receives flush", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1)
      b.nic.postReceive(b.qpn, "r", s.one(b.buf, 64, b.key))
      a.nic.postRead(a.qpn, "rd", s.one(a.buf, 100, a.key), 0, b.buf + 256 * 1024 - 50, b.key)
      const ca = yield* collect(a, 1)
      assert.strictEqual(ca[0]!.status, NicCode.REMOTE_RANGE_ERROR)
      const cb = yield* collect(b, 1)
      assert.deepStrictEqual([cb[0]!.status, cb[0]!.context], [NicCode.FLUSHED, "r"])
      const p2 = yield* pair()
      p2.a.nic.postWrite(p2.a.qpn, "w", s.one(p2.a.buf, 10, p2.a.key), 0, p2.b.buf, p2.b.key ^ 1)
      const c2 = yield* collect(p2.a, 1)
      assert.strictEqual(c2[0]!.status, NicCode.REMOTE_ACCESS_ERROR)
    }))

  it.scoped("reset: in-flight WRs fail, queued ones flush, CQ/SRQ get DEVICE_FATAL, everything stays destroyable", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ fabric: { latencyUs: 50 }, config: { ackTimeoutUs: 200 } })
      const srqEvents: Array<number> = []
      const srq = yield* a.nic.createSrq({
        pd: a.pd,
        depth: 4,
        maxSge: 1,
        onEvent: (c) => Effect.sync(() => void srqEvents.push(c))
      })
      const mw = yield* a.nic.createMw(a.pd)
      const fr = yield* a.nic.createMr(a.pd, { fastRegister: true })
      yield* a.nic.initFastRegister(fr, 4, true)
      a.nic.postBind(a.qpn, "bind", a.mr, mw, a.buf, 100, WrFlag.ALLOW_REMOTE_READ | WrFlag.SILENT)
      const s = new Nic.Sgl(1).one(a.buf, 70000, a.key)
      a.nic.postWrite(a.qpn, "w1", s, 0, b.buf, b.key)
      a.nic.postWrite(a.qpn, "w2", s, WrFlag.DEFER, b.buf, b.key)
      a.nic.postReceive(a.qpn, "r", s)
      yield* run(20)
      yield* a.nic.reset
      const got = drain(a)
      assert.deepStrictEqual(got.map((c) => [c.status, c.context]), [
        [NicCode.FATAL_ERROR, "w1"],
        [NicCode.FLUSHED, "w2"],
        [NicCode.FLUSHED, "r"]
      ])
      yield* settle(() => a.events.length > 0 && srqEvents.length > 0)
      assert.deepStrictEqual(a.events, [NicCode.DEVICE_FATAL])
      assert.deepStrictEqual(srqEvents, [NicCode.DEVICE_FATAL])
      assert.strictEqual(a.nic.postSend(a.qpn, 0, s, 0), NicCode.DEVICE_REMOVED)
      const e = yield* Effect.flip(a.nic.allocPd)
      assert.strictEqual(e.code, NicCode.DEVICE_REMOVED)
      // every object can be destroyed, children first
      yield* a.nic.destroyQp(a.qpn)
      yield* a.nic.destroyMw(mw)
      yield* a.nic.destroyMr(fr)
      yield* a.nic.destroyMr(a.mr)
      yield* a.nic.destroySrq(srq)
      yield* a.nic.destroyCq(a.cq)
      yield* a.nic.freePd(a.pd)
      const st = a.nic.stats()
      assert.deepStrictEqual([st.qps, st.mrs, st.mws, st.cqs, st.srqs, st.pds, st.removed], [0, 0, 0, 0, 0, 0, true])
      // the peer's WRs to the removed NIC time out
      b.nic.postWrite(b.qpn, "bw", new Nic.Sgl(1).one(b.buf, 10, b.key), 0, a.buf, a.key)
      const cb = yield* collect(b, 1, { steps: 5000 })
      assert.strictEqual(cb[0]!.status, NicCode.RETRY_EXCEEDED)
    }))

  it.scoped("same seed and workload ⇒ same trace hash; another seed ⇒ another hash", () =>
    Effect.gen(function*() {
      const faults = { loss: 0.05, duplicate: 0.05, reorder: 0.1, reorderMaxUs: 5, corrupt: 0.02 }
      const hashOf = (seed: number) =>
        Effect.gen(function*() {
          const p = yield* pair({
            side: big,
            fabric: { seed, latencyUs: 1, faults },
            config: { ackTimeoutUs: 50, retryCount: 50 }
          })
          yield* workload(p, 3, 6, true)
          return yield* p.fabric.traceHash
        })
      // each run gets a fresh TestClock starting at 0
      const fresh = (seed: number) => Effect.provide(Effect.scoped(hashOf(seed)), TestContext.TestContext)
      const h1 = yield* fresh(11)
      const h2 = yield* fresh(11)
      const h3 = yield* fresh(12)
      assert.strictEqual(h1, h2)
      assert.notStrictEqual(h1, h3)
    }))
})
