import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Nic from "../src/Nic.js"
import { Access, Arm, NicCode, Opcode, WrFlag } from "../src/NicCode.js"
import { collect, drain, makeSide, pair, pattern, run, settle } from "./helpers.js"

describe("work requests", () => {
  it.scoped("R83: multi-SGE send into multi-SGE receive; byte count equals the send", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const data = pattern(9000, 11)
      a.nic.memory.write(a.buf, data)
      const rs = new Nic.Sgl(4).set(0, b.buf, 1000, b.key).set(1, b.buf + 5000, 3000, b.key).set(
        2,
        b.buf + 20000,
        8000,
        b.key
      )
      assert.strictEqual(b.nic.postReceive(b.qpn, "r", rs), 0)
      const ss = new Nic.Sgl(4).set(0, a.buf, 5000, a.key).set(1, a.buf + 5000, 4000, a.key)
      assert.strictEqual(a.nic.postSend(a.qpn, "s", ss, 0), 0)
      const cb = yield* collect(b, 1)
      assert.strictEqual(cb[0]!.bytes, 9000)
      const got = new Uint8Array(9000)
      got.set(b.nic.memory.read(b.buf, 1000), 0)
      got.set(b.nic.memory.read(b.buf + 5000, 3000), 1000)
      got.set(b.nic.memory.read(b.buf + 20000, 5000), 4000)
      assert.deepStrictEqual(got, data)
    }))

  it.scoped("zero-length send consumes a receive and completes with 0 bytes", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1)
      assert.strictEqual(b.nic.postReceive(b.qpn, "r", s.one(b.buf, 64, b.key)), 0)
      assert.strictEqual(a.nic.postSend(a.qpn, "s", s.clear(), 0), 0)
      const cb = yield* collect(b, 1)
      assert.deepStrictEqual([cb[0]!.status, cb[0]!.bytes], [0, 0])
    }))

  it.scoped("R87: inline send ignores keys and carries the bytes as they were at post time", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      a.nic.memory.write(a.buf, pattern(48, 5))
      const s = new Nic.Sgl(1)
      b.nic.postReceive(b.qpn, "r", s.one(b.buf, 64, b.key))
      assert.strictEqual(a.nic.postSend(a.qpn, "s", s.one(a.buf, 48, 0xdeadbeef), WrFlag.INLINE), 0)
      a.nic.memory.fill(a.buf, 48, 0)
      const cb = yield* collect(b, 1)
      assert.strictEqual(cb[0]!.status, 0)
      assert.deepStrictEqual(b.nic.memory.read(b.buf, 48), pattern(48, 5))
    }))

  it.scoped("R88/R89/R90: inline too long, too many SGEs, reads accept up to maxReadSge", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ config: { maxReadSge: 8 } })
      const s = new Nic.Sgl(8)
      assert.strictEqual(a.nic.postSend(a.qpn, 0, s.one(a.buf, 65, a.key), WrFlag.INLINE), NicCode.INLINE_TOO_LONG)
      for (let i = 0; i < 6; i++) s.set(i, a.buf + i * 100, 100, a.key)
      assert.strictEqual(a.nic.postSend(a.qpn, 0, s, 0), NicCode.TOO_MANY_SGES)
      assert.strictEqual(a.nic.postRead(a.qpn, "rd", s, 0, b.buf, b.key), 0)
      const c = yield* collect(a, 1)
      assert.deepStrictEqual([c[0]!.status, c[0]!.context], [0, "rd"])
    }))

  it.scoped("R99: RDMA write places data and gives the target no completion", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      a.nic.memory.write(a.buf, pattern(70000, 2))
      a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(a.buf, 70000, a.key), 0, b.buf + 7, b.key)
      yield* collect(a, 1)
      yield* run(500)
      assert.strictEqual(drain(b).length, 0)
      assert.deepStrictEqual(b.nic.memory.read(b.buf + 7, 70000), pattern(70000, 2))
    }))

  it.scoped("R79: silent success produces no CQE; a later signaled WR does", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1).one(a.buf, 100, a.key)
      a.nic.postWrite(a.qpn, "silent", s, WrFlag.SILENT, b.buf, b.key)
      a.nic.postWrite(a.qpn, "loud", s, 0, b.buf, b.key)
      const c = yield* collect(a, 1)
      yield* run(300)
      assert.deepStrictEqual([...c, ...drain(a)].map((x) => x.context), ["loud"])
    }))

  it.scoped("R94/R95/R96: send-with-invalidate invalidates the peer's FR-MR and reports the key", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const fr = yield* b.nic.createMr(b.pd, { fastRegister: true })
      yield* b.nic.initFastRegister(fr, 4, true)
      const lam = yield* b.nic.mapLogical(b.buf, 16384)
      const frFlags = WrFlag.ALLOW_REMOTE_WRITE
      assert.strictEqual(b.nic.postFastRegister(b.qpn, "fr", fr, lam.pages, 4, 0, 16384, 0x70000000, frFlags), 0)
      const key = b.nic.mrKey(fr)
      assert.isAtLeast(key, 1)
      // the peer writes through the FR key, then invalidates it with a send
      a.nic.memory.write(a.buf, pattern(100, 9))
      const s = new Nic.Sgl(1).one(a.buf, 100, a.key)
      assert.strictEqual(a.nic.postWrite(a.qpn, "w", s, 0, 0x70000000 + 10, key), 0)
      b.nic.postReceive(b.qpn, "r", new Nic.Sgl(1).one(b.buf + 20000, 100, b.key))
      assert.strictEqual(a.nic.postSendInvalidate(a.qpn, "si", s, 0, key), 0)
      const ca = yield* collect(a, 2)
      assert.deepStrictEqual(ca.map((c) => [c.status, c.opcode]), [[0, Opcode.WRITE], [0, Opcode.SEND_INVALIDATE]])
      const cb = (yield* collect(b, 2)).sort((x, y) => x.opcode - y.opcode)
      // the send and receive queues of one QP are not ordered with respect to each other
      assert.deepStrictEqual(cb.map((c) => [c.status, c.opcode]), [[0, Opcode.FAST_REGISTER], [
        0,
        Opcode.RECEIVE_INVALIDATE
      ]])
      assert.strictEqual(cb[1]!.key, key)
      assert.deepStrictEqual(b.nic.memory.read(b.buf + 10, 100), pattern(100, 9))
      // invalidating again fails in the completion; remote access with the key now fails
      assert.strictEqual(b.nic.postInvalidate(b.qpn, "inv", fr, 0), 0)
      const ci = yield* collect(b, 1)
      assert.strictEqual(ci[0]!.status, NicCode.LOCAL_OPERATION_ERROR)
    }))

  it.scoped("R117/R120: fast-register, remote write works, invalidate, remote write then fails", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const fr = yield* b.nic.createMr(b.pd, { fastRegister: true })
      yield* b.nic.initFastRegister(fr, 2, true)
      // two non-adjacent pages
      const p1 = yield* b.nic.mapLogical(b.buf + 8192, 4096)
      const p2 = yield* b.nic.mapLogical(b.buf + 32768, 4096)
      const pages = [p1.pages[0]!, p2.pages[0]!]
      assert.strictEqual(
        b.nic.postFastRegister(
          b.qpn,
          "fr",
          fr,
          pages,
          2,
          100,
          6000,
          0x50000064,
          WrFlag.ALLOW_REMOTE_WRITE | WrFlag.SILENT
        ),
        0
      )
      const key = b.nic.mrKey(fr)
      a.nic.memory.write(a.buf, pattern(6000, 4))
      assert.strictEqual(a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(a.buf, 6000, a.key), 0, 0x50000064, key), 0)
      const c1 = yield* collect(a, 1)
      assert.strictEqual(c1[0]!.status, 0)
      const got = new Uint8Array(6000)
      got.set(b.nic.memory.read(b.buf + 8192 + 100, 3996), 0)
      got.set(b.nic.memory.read(b.buf + 32768, 2004), 3996)
      assert.deepStrictEqual(got, pattern(6000, 4))
      assert.strictEqual(b.nic.postInvalidate(b.qpn, "inv", fr, 0), 0)
      const ci = yield* collect(b, 1)
      assert.deepStrictEqual([ci[0]!.status, ci[0]!.opcode], [0, Opcode.INVALIDATE])
      a.nic.postWrite(a.qpn, "w2", new Nic.Sgl(1).one(a.buf, 10, a.key), 0, 0x50000064, key)
      const c2 = yield* collect(a, 1)
      assert.strictEqual(c2[0]!.status, NicCode.REMOTE_ACCESS_ERROR)
    }))

  it.scoped("R118/R119/R121: bind MW, remote read through it, deregister busy, invalidate", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const mw = yield* b.nic.createMw(b.pd)
      const roMr = yield* b.nic.createMr(b.pd)
      yield* b.nic.registerMr(roMr, b.buf + 65536, 65536, Access.REMOTE_READ)
      assert.strictEqual(
        b.nic.postBind(b.qpn, "bad", roMr, mw, b.buf + 65536, 100, WrFlag.ALLOW_REMOTE_WRITE),
        NicCode.ACCESS_DENIED
      )
      assert.strictEqual(
        b.nic.postBind(b.qpn, "bind", roMr, mw, b.buf + 65536 + 1000, 4000, WrFlag.ALLOW_REMOTE_READ),
        0
      )
      const key = b.nic.mwKey(mw)
      assert.isAtLeast(key, 1)
      b.nic.memory.write(b.buf + 65536 + 1000, pattern(4000, 8))
      a.nic.postRead(a.qpn, "rd", new Nic.Sgl(1).one(a.buf, 4000, a.key), 0, b.buf + 65536 + 1000, key)
      const ca = yield* collect(a, 1)
      assert.strictEqual(ca[0]!.status, 0)
      assert.deepStrictEqual(a.nic.memory.read(a.buf, 4000), pattern(4000, 8))
      const err = yield* Effect.flip(b.nic.deregisterMr(roMr))
      assert.strictEqual(err.code, NicCode.BUSY)
      b.nic.postInvalidate(b.qpn, "inv", mw, 0)
      const cb = yield* collect(b, 2)
      assert.deepStrictEqual(cb.map((c) => [c.status, c.opcode]), [[0, Opcode.BIND], [0, Opcode.INVALIDATE]])
      yield* b.nic.deregisterMr(roMr)
      // R120: old window key rejected
      a.nic.postRead(a.qpn, "rd2", new Nic.Sgl(1).one(a.buf, 10, a.key), 0, b.buf + 65536 + 1000, key)
      const c2 = yield* collect(a, 1)
      assert.strictEqual(c2[0]!.status, NicCode.REMOTE_ACCESS_ERROR)
    }))

  it.scoped("R98: read with local invalidate invalidates the first SGE's FR-MR", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const fr = yield* a.nic.createMr(a.pd, { fastRegister: true })
      yield* a.nic.initFastRegister(fr, 1, false)
      const lam = yield* a.nic.mapLogical(a.buf + 4096, 4096)
      a.nic.postFastRegister(
        a.qpn,
        "fr",
        fr,
        lam.pages,
        1,
        0,
        4096,
        0x60000000,
        WrFlag.ALLOW_LOCAL_WRITE | WrFlag.READ_SINK
      )
      const key = a.nic.mrKey(fr)
      a.nic.postRead(a.qpn, "rd", new Nic.Sgl(1).one(0x60000000, 100, key), WrFlag.READ_LOCAL_INVALIDATE, b.buf, b.key)
      const c = yield* collect(a, 2)
      assert.deepStrictEqual(c.map((x) => x.status), [0, 0])
      assert.strictEqual(a.nic.mrKey(fr) !== key, true)
      a.nic.postSend(a.qpn, "s", new Nic.Sgl(1).one(0x60000000, 10, key), 0)
      const c2 = yield* collect(a, 1)
      assert.strictEqual(c2[0]!.status, NicCode.LOCAL_PROTECTION_ERROR)
    }))

  it.scoped("R86: a fenced WR starts only after earlier reads completed", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ fabric: { latencyUs: 20 } })
      b.nic.memory.write(b.buf, pattern(8192, 1))
      const s = new Nic.Sgl(1)
      a.nic.postRead(a.qpn, "rd", s.one(a.buf, 8192, a.key), 0, b.buf, b.key)
      // the fenced write sends what the read brought in
      a.nic.postWrite(a.qpn, "w", s.one(a.buf, 8192, a.key), WrFlag.FENCE, b.buf + 100000, b.key)
      const c = yield* collect(a, 2)
      assert.deepStrictEqual(c.map((x) => [x.status, x.context]), [[0, "rd"], [0, "w"]])
      assert.deepStrictEqual(b.nic.memory.read(b.buf + 100000, 8192), pattern(8192, 1))
    }))

  it.scoped("R102: no more than ORD reads in flight; the excess waits and all complete in order", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ fabric: { latencyUs: 10 } })
      const a2 = yield* makeSide(a.nic, { pd: a.pd })
      const b2 = yield* makeSide(b.nic, { pd: b.pd })
      yield* a2.nic.connectQp(a2.qpn, { remoteAddress: 2, remoteQpn: b2.qpn, ird: 0, ord: 2 })
      yield* b2.nic.connectQp(b2.qpn, { remoteAddress: 1, remoteQpn: a2.qpn, ird: 2, ord: 0 })
      const before = a.nic.stats().packetsOut
      for (let i = 0; i < 5; i++) {
        a2.nic.postRead(a2.qpn, i, new Nic.Sgl(1).one(a2.buf + i * 100, 100, a2.key), 0, b2.buf, b2.key)
      }
      // after one pass only ORD read requests left the NIC
      yield* settle(() => a.nic.stats().packetsOut > before, { stepUs: 1 })
      assert.strictEqual(a.nic.stats().packetsOut - before, 2)
      const got = yield* collect(a2, 5)
      assert.deepStrictEqual(got.map((c) => [c.status, c.context]), [[0, 0], [0, 1], [0, 2], [0, 3], [0, 4]])
    }))

  it.scoped("R92/R93: deferred posts run when the doorbell rings or a later post fails", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(8).one(a.buf, 10, a.key)
      a.nic.postWrite(a.qpn, 1, s, WrFlag.DEFER, b.buf, b.key)
      a.nic.postWrite(a.qpn, 2, s, WrFlag.DEFER, b.buf, b.key)
      yield* run(300)
      assert.strictEqual(drain(a).length, 0)
      // a failing post hands the deferred ones to the hardware
      assert.strictEqual(a.nic.postSend(a.qpn, 3, s, WrFlag.INLINE | 0x8), NicCode.INVALID_FLAGS)
      const c = yield* collect(a, 2)
      assert.deepStrictEqual(c.map((x) => x.context), [1, 2])
      a.nic.postWrite(a.qpn, 4, s, WrFlag.DEFER, b.buf, b.key)
      assert.strictEqual(a.nic.ringDoorbell(a.qpn), 0)
      const c2 = yield* collect(a, 1)
      assert.deepStrictEqual(c2.map((x) => x.context), [4])
    }))

  it.scoped("R104/R105: SRQ receives are shared in order; the limit event fires once", () =>
    Effect.gen(function*() {
      const fabricPair = yield* pair()
      const { a, b } = fabricPair
      const srqEvents: Array<number> = []
      const srq = yield* b.nic.createSrq({
        pd: b.pd,
        depth: 8,
        maxSge: 1,
        limit: 3,
        onEvent: (c) => Effect.sync(() => void srqEvents.push(c))
      })
      const b2 = yield* makeSide(b.nic, { pd: b.pd, srq })
      const a2 = yield* makeSide(a.nic, { pd: a.pd })
      yield* a2.nic.connectQp(a2.qpn, { remoteAddress: 2, remoteQpn: b2.qpn, ird: 4, ord: 4 })
      yield* b2.nic.connectQp(b2.qpn, { remoteAddress: 1, remoteQpn: a2.qpn, ird: 4, ord: 4 })
      const s = new Nic.Sgl(1)
      for (let i = 0; i < 5; i++) b.nic.postSrqReceive(srq, `srq${i}`, s.one(b2.buf + i * 128, 128, b2.key))
      for (let i = 0; i < 3; i++) a2.nic.postSend(a2.qpn, i, s.one(a2.buf, 10 + i, a2.key), 0)
      const got = yield* collect(b2, 3)
      assert.deepStrictEqual(got.map((c) => [c.context, c.bytes, c.qpn]), [["srq0", 10, b2.qpn], ["srq1", 11, b2.qpn], [
        "srq2",
        12,
        b2.qpn
      ]])
      // an Effect handler runs on the NIC's delivery fiber, after the pass that raised the event
      yield* settle(() => srqEvents.length >= 1)
      assert.deepStrictEqual(srqEvents, [NicCode.SRQ_LIMIT])
      assert.strictEqual(b.nic.srqCount(srq), 2)
      // R106: re-arm above the count fires at once
      yield* b.nic.modifySrq(srq, 0, 5)
      yield* settle(() => srqEvents.length === 2)
      assert.deepStrictEqual(srqEvents, [NicCode.SRQ_LIMIT, NicCode.SRQ_LIMIT])
    }))

  it.scoped("R56/R57/R59: arm NEXT fires once; SOLICITED waits for a solicited send", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1)
      for (let i = 0; i < 4; i++) b.nic.postReceive(b.qpn, i, s.one(b.buf + i * 64, 64, b.key))
      assert.strictEqual(b.nic.armCq(b.cq, Arm.SOLICITED), 0)
      a.nic.postSend(a.qpn, 0, s.one(a.buf, 8, a.key), 0)
      yield* collect(a, 1)
      yield* run(200)
      assert.deepStrictEqual(b.events, [])
      a.nic.postSend(a.qpn, 1, s.one(a.buf, 8, a.key), WrFlag.SOLICITED)
      yield* settle(() => b.events.length > 0)
      assert.deepStrictEqual(b.events, [NicCode.CQ_NOTIFY])
      drain(b)
      b.nic.armCq(b.cq, Arm.NEXT)
      a.nic.postSend(a.qpn, 2, s.one(a.buf, 8, a.key), 0)
      a.nic.postSend(a.qpn, 3, s.one(a.buf, 8, a.key), 0)
      yield* run(300)
      assert.deepStrictEqual(b.events, [NicCode.CQ_NOTIFY, NicCode.CQ_NOTIFY])
    }))

  it.scoped("R58/R64: arming with newer completions queued fires without a new completion", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      a.nic.postWrite(a.qpn, 0, new Nic.Sgl(1).one(a.buf, 8, a.key), 0, b.buf, b.key)
      yield* settle(() => a.nic.cqCount(a.cq) === 1)
      assert.deepStrictEqual(a.events, [])
      a.nic.armCq(a.cq, Arm.NEXT)
      yield* settle(() => a.events.length === 1)
      assert.deepStrictEqual(a.events, [NicCode.CQ_NOTIFY])
    }))

  it.scoped("R69: CQ resize keeps queued completions and refuses to shrink below them", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const s = new Nic.Sgl(1).one(a.buf, 8, a.key)
      for (let i = 0; i < 5; i++) a.nic.postWrite(a.qpn, i, s, 0, b.buf, b.key)
      yield* settle(() => a.nic.cqCount(a.cq) === 5)
      const e = yield* Effect.flip(a.nic.resizeCq(a.cq, 4))
      assert.strictEqual(e.code, NicCode.CQ_TOO_SMALL)
      yield* a.nic.resizeCq(a.cq, 6)
      assert.deepStrictEqual(drain(a).map((c) => c.context), [0, 1, 2, 3, 4])
    }))

  it.scoped("MAD channel delivers opaque messages to the registered handler", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const got: Array<[number, Array<number>]> = []
      b.nic.onMad((from, data) => Effect.sync(() => void got.push([from, Array.from(data)])))
      assert.strictEqual(a.nic.sendMad(2, new Uint8Array([1, 2, 3])), 0)
      assert.strictEqual(a.nic.sendMad(2, new Uint8Array(300)), NicCode.MAD_TOO_LONG)
      yield* settle(() => got.length === 1)
      assert.deepStrictEqual(got, [[1, [1, 2, 3]]])
    }))
})
