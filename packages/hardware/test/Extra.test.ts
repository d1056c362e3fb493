import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Nic from "../src/Nic.js"
import { Arm, NicCode, Opcode } from "../src/NicCode.js"
import { collect, connect, makeSide, pair, pattern, run, settle } from "./helpers.js"

describe("more NIC behaviour", () => {
  it.scoped("R60: a SOLICITED arm is satisfied by an error completion", () =>
    Effect.gen(function*() {
      const { b } = yield* pair()
      b.nic.postReceive(b.qpn, "r", new Nic.Sgl(1).one(b.buf, 64, b.key))
      b.nic.armCq(b.cq, Arm.SOLICITED)
      b.nic.qpToError(b.qpn)
      yield* settle(() => b.events.length > 0)
      assert.deepStrictEqual(b.events, [NicCode.CQ_NOTIFY])
    }))

  it.scoped("R62: NEXT then SOLICITED stays NEXT (the broader arm)", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      b.nic.postReceive(b.qpn, "r", new Nic.Sgl(1).one(b.buf, 64, b.key))
      b.nic.armCq(b.cq, Arm.NEXT)
      b.nic.armCq(b.cq, Arm.SOLICITED)
      a.nic.postSend(a.qpn, "s", new Nic.Sgl(1).one(a.buf, 8, a.key), 0)
      yield* settle(() => b.events.length > 0)
      assert.deepStrictEqual(b.events, [NicCode.CQ_NOTIFY])
    }))

  it.scoped("R55: a CQ never armed raises no notification", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      for (let i = 0; i < 3; i++) a.nic.postWrite(a.qpn, i, new Nic.Sgl(1).one(a.buf, 8, a.key), 0, b.buf, b.key)
      yield* collect(a, 3)
      yield* run(200)
      assert.deepStrictEqual(a.events, [])
    }))

  it.scoped("loopback: two QPs of one NIC exchange data", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const x = yield* makeSide(a.nic, { pd: a.pd })
      const y = yield* makeSide(a.nic, { pd: a.pd })
      yield* connect(x, y)
      a.nic.memory.write(x.buf, pattern(3000, 5))
      y.nic.postReceive(y.qpn, "r", new Nic.Sgl(1).one(y.buf, 4096, y.key))
      x.nic.postSend(x.qpn, "s", new Nic.Sgl(1).one(x.buf, 3000, x.key), 0)
      const c = yield* collect(y, 1)
      assert.deepStrictEqual([c[0]!.status, c[0]!.opcode, c[0]!.bytes], [0, Opcode.RECEIVE, 3000])
      assert.deepStrictEqual(a.nic.memory.read(y.buf, 3000), pattern(3000, 5))
    }))

  it.scoped("loopback refused when the config disables it", () =>
    Effect.gen(function*() {
      const { a } = yield* pair({ config: { loopback: false } })
      const x = yield* makeSide(a.nic, { pd: a.pd })
      const e = yield* Effect.flip(a.nic.connectQp(x.qpn, { remoteAddress: 1, remoteQpn: 1, ird: 1, ord: 1 }))
      assert.strictEqual(e.code, NicCode.NOT_SUPPORTED)
    }))

  it.scoped("MADs are subject to link faults (dropped while the link is down)", () =>
    Effect.gen(function*() {
      const { a, b, fabric } = yield* pair()
      const got: Array<number> = []
      b.nic.onMad((_from, data) => Effect.sync(() => void got.push(data[0]!)))
      yield* fabric.linkDown(2)
      a.nic.sendMad(2, new Uint8Array([1]))
      yield* run(100)
      yield* fabric.linkUp(2)
      a.nic.sendMad(2, new Uint8Array([2]))
      yield* settle(() => got.length > 0)
      yield* run(100)
      assert.deepStrictEqual(got, [2])
    }))

  it.scoped("a read to a QP that serves no reads (IRD 0) fails with REMOTE_INVALID_REQUEST", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const x = yield* makeSide(a.nic, { pd: a.pd })
      const y = yield* makeSide(b.nic, { pd: b.pd })
      yield* x.nic.connectQp(x.qpn, { remoteAddress: 2, remoteQpn: y.qpn, ird: 0, ord: 4 })
      yield* y.nic.connectQp(y.qpn, { remoteAddress: 1, remoteQpn: x.qpn, ird: 0, ord: 0 })
      x.nic.postRead(x.qpn, "rd", new Nic.Sgl(1).one(x.buf, 8, x.key), 0, y.buf, y.key)
      const c = yield* collect(x, 1)
      assert.strictEqual(c[0]!.status, NicCode.REMOTE_INVALID_REQUEST)
    }))

  it.scoped("stats report live objects; destroy in any order after children", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const st = a.nic.stats()
      assert.deepStrictEqual([st.pds, st.mrs, st.qps, st.cqs], [1, 1, 1, 1])
      yield* a.nic.destroyQp(a.qpn)
      yield* a.nic.destroyCq(a.cq)
      yield* a.nic.destroyMr(a.mr)
      yield* a.nic.freePd(a.pd)
      const st2 = a.nic.stats()
      assert.deepStrictEqual([st2.pds, st2.mrs, st2.qps, st2.cqs], [0, 0, 0, 0])
    }))
})

describe("host memory helpers", () => {
  it.scoped("out-of-arena access is refused without throwing", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const m = a.nic.memory
      assert.strictEqual(m.write(m.base + m.size - 2, new Uint8Array(4)), false)
      assert.strictEqual(m.read(12, 4).length, 0)
      assert.strictEqual(m.fill(m.base - 1, 2, 0), false)
      assert.strictEqual(m.view(m.base + m.size, 1).length, 0)
      const va = m.alloc(100)
      assert.isAtLeast(va, m.base)
      assert.strictEqual(m.write(va, new Uint8Array([9])), true)
      assert.deepStrictEqual(Array.from(m.read(va, 1)), [9])
      assert.strictEqual(m.free(va), true)
      assert.strictEqual(m.free(va), false)
      assert.strictEqual(m.alloc(m.size * 2), -1)
    }))
})

describe("SRQ resize", () => {
  it.scoped("R107/R108: resizing keeps queued receives; limits and bad shrink are refused", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ config: { maxSrqDepth: 16 } })
      const srq = yield* b.nic.createSrq({ pd: b.pd, depth: 4, maxSge: 1 })
      const y = yield* makeSide(b.nic, { pd: b.pd, srq })
      const x = yield* makeSide(a.nic, { pd: a.pd })
      yield* connect(x, y)
      const s = new Nic.Sgl(1)
      for (let i = 0; i < 3; i++) b.nic.postSrqReceive(srq, i, s.one(y.buf + i * 100, 100, y.key))
      yield* b.nic.modifySrq(srq, 8, 0)
      const e = yield* Effect.flip(b.nic.modifySrq(srq, 17, 0))
      assert.strictEqual(e.code, NicCode.LIMIT_EXCEEDED)
      const e2 = yield* Effect.flip(b.nic.modifySrq(srq, 2, 0))
      assert.strictEqual(e2.code, NicCode.QUEUE_FULL)
      yield* b.nic.modifySrq(srq, 0, 0)
      for (let i = 3; i < 8; i++) {
        assert.strictEqual(b.nic.postSrqReceive(srq, i, s.one(y.buf + i * 100, 100, y.key)), 0)
      }
      assert.strictEqual(b.nic.postSrqReceive(srq, 8, s.one(y.buf, 100, y.key)), NicCode.QUEUE_FULL)
      for (let i = 0; i < 8; i++) x.nic.postSend(x.qpn, i, s.one(x.buf, 10 + i, x.key), 0)
      const got = yield* collect(y, 8)
      assert.deepStrictEqual(got.map((c) => [c.context, c.bytes]), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, 10 + i]))
    }))
})

describe("registration changes during a transfer", () => {
  it.scoped("deregistering the target mid-write stops placement at once; the writer gets REMOTE_ACCESS_ERROR", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ fabric: { latencyUs: 5, bandwidthGbps: 1 } })
      const target = yield* b.nic.createMr(b.pd)
      const va = b.buf + 128 * 1024
      yield* b.nic.registerMr(target, va, 80000, 0x5)
      const key = b.nic.mrKey(target)
      b.nic.memory.fill(va, 80000, 0xee)
      a.nic.memory.write(a.buf, pattern(80000, 3))
      a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(a.buf, 80000, a.key), 0, va, key)
      // 80 KB at 1 Gbit/s takes ~640 µs: deregister part-way
      yield* run(200)
      yield* b.nic.deregisterMr(target)
      const landed = b.nic.memory.read(va, 80000)
      const c = yield* collect(a, 1)
      assert.strictEqual(c[0]!.status, NicCode.REMOTE_ACCESS_ERROR)
      // nothing was placed after the deregistration
      assert.deepStrictEqual(b.nic.memory.read(va, 80000), landed)
      const firstUntouched = landed.findIndex((x) => x === 0xee)
      assert.isAbove(firstUntouched, 0)
      assert.isBelow(firstUntouched, 80000)
    }))
})

describe("source registration changes during a transfer", () => {
  it.scoped("a deregistered source is never read: in-flight packets are dropped, the WR ends in RETRY_EXCEEDED", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({
        fabric: { latencyUs: 5, bandwidthGbps: 1 },
        config: { ackTimeoutUs: 300, retryCount: 2 }
      })
      const src = yield* a.nic.createMr(a.pd)
      const va = a.buf + 128 * 1024
      yield* a.nic.registerMr(src, va, 80000, 0)
      a.nic.memory.write(va, pattern(80000, 4))
      b.nic.memory.fill(b.buf, 80000, 0xee)
      a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(va, 80000, a.nic.mrKey(src)), 0, b.buf, b.key)
      yield* run(200)
      yield* a.nic.deregisterMr(src)
      yield* run(10)
      const landed = b.nic.memory.read(b.buf, 80000)
      const c = yield* collect(a, 1)
      assert.strictEqual(c[0]!.status, NicCode.RETRY_EXCEEDED)
      assert.deepStrictEqual(b.nic.memory.read(b.buf, 80000), landed)
    }))
})
