import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fabric from "../src/Fabric.js"
import * as Nic from "../src/Nic.js"
import { Access, Arm, NicCode, WrFlag } from "../src/NicCode.js"
import { collect, pair } from "./helpers.js"

const code = <A, R>(e: Effect.Effect<A, Nic.NicError, R>) => Effect.map(Effect.flip(e), (err) => err.code)

describe("bad input → NIC codes (synchronous)", () => {
  it.scoped("R49/R50/R52: creation limits and handles", () =>
    Effect.gen(function*() {
      const { a } = yield* pair({
        config: { maxCqDepth: 100, maxSqDepth: 32, maxSendSge: 4, maxInline: 64, maxSrqDepth: 8 },
        side: { sqDepth: 16, rqDepth: 16, cqDepth: 50 }
      })
      const n = a.nic
      assert.strictEqual(yield* code(n.createCq(101)), NicCode.LIMIT_EXCEEDED)
      assert.strictEqual(yield* code(n.createCq(0)), NicCode.INVALID_ARGUMENT)
      const base = {
        pd: a.pd,
        sendCq: a.cq,
        recvCq: a.cq,
        sqDepth: 8,
        rqDepth: 8,
        maxSendSge: 1,
        maxRecvSge: 1,
        maxInline: 0
      }
      assert.strictEqual(yield* code(n.createQp({ ...base, sqDepth: 33 })), NicCode.LIMIT_EXCEEDED)
      assert.strictEqual(yield* code(n.createQp({ ...base, maxSendSge: 5 })), NicCode.LIMIT_EXCEEDED)
      assert.strictEqual(yield* code(n.createQp({ ...base, maxInline: 65 })), NicCode.LIMIT_EXCEEDED)
      assert.strictEqual(yield* code(n.createQp({ ...base, pd: 999 })), NicCode.INVALID_HANDLE)
      assert.strictEqual(yield* code(n.createQp({ ...base, sendCq: 999 })), NicCode.INVALID_HANDLE)
      assert.strictEqual(yield* code(n.createSrq({ pd: a.pd, depth: 9, maxSge: 1 })), NicCode.LIMIT_EXCEEDED)
      assert.strictEqual(yield* code(n.destroyCq(a.cq)), NicCode.BUSY)
      assert.strictEqual(yield* code(n.freePd(a.pd)), NicCode.BUSY)
      assert.strictEqual(yield* code(n.destroyQp(12345)), NicCode.INVALID_HANDLE)
    }))

  it.scoped("SRQ unsupported when maxSrqDepth is 0", () =>
    Effect.gen(function*() {
      const { a } = yield* pair({ config: { maxSrqDepth: 0 } })
      assert.strictEqual(yield* code(a.nic.createSrq({ pd: a.pd, depth: 1, maxSge: 1 })), NicCode.NOT_SUPPORTED)
    }))

  it.scoped("R110-R113/R122: registration errors; re-registration changes the key", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const n = a.nic
      const mr = yield* n.createMr(a.pd)
      const va = n.memory.alloc(8192)
      assert.strictEqual(yield* code(n.registerMr(mr, va, 0, 0)), NicCode.ZERO_LENGTH)
      assert.strictEqual(yield* code(n.registerMr(mr, 12, 100, 0)), NicCode.BAD_ADDRESS)
      assert.strictEqual(yield* code(n.registerMr(mr, va, 100, 0x10)), NicCode.INVALID_ARGUMENT)
      yield* n.registerMr(mr, va, 8192, Access.LOCAL_WRITE)
      const k1 = n.mrKey(mr)
      assert.strictEqual(yield* code(n.registerMr(mr, va, 100, 0)), NicCode.INVALID_STATE)
      yield* n.deregisterMr(mr)
      assert.strictEqual(n.mrKey(mr), -1)
      assert.strictEqual(yield* code(n.deregisterMr(mr)), NicCode.INVALID_STATE)
      yield* n.registerMr(mr, va, 8192, Access.LOCAL_WRITE)
      assert.notStrictEqual(n.mrKey(mr), k1)
      const fr = yield* n.createMr(a.pd, { fastRegister: true })
      assert.strictEqual(yield* code(n.registerMr(fr, va, 100, 0)), NicCode.WRONG_MR_KIND)
      assert.strictEqual(yield* code(n.initFastRegister(mr, 4, false)), NicCode.WRONG_MR_KIND)
      assert.strictEqual(yield* code(n.initFastRegister(fr, 1 << 20, false)), NicCode.LIMIT_EXCEEDED)
      assert.strictEqual(yield* code(n.registerMr(mr + 1000, va, 100, 0)), NicCode.INVALID_HANDLE)
    }))

  it.scoped("R75/R53: initiator WRs on an unconnected QP fail; receives are accepted", () =>
    Effect.gen(function*() {
      const fabric = yield* Fabric.make()
      const nic = yield* Effect.provideService(
        Nic.make({ address: 9, config: { hostMemoryBytes: 1 << 20, deviceMemoryBytes: 1 << 20 } }),
        Fabric.Fabric,
        fabric
      )
      const pd = yield* nic.allocPd
      const cq = yield* nic.createCq(16)
      const qp = yield* nic.createQp({
        pd,
        sendCq: cq,
        recvCq: cq,
        sqDepth: 4,
        rqDepth: 4,
        maxSendSge: 1,
        maxRecvSge: 1,
        maxInline: 0
      })
      const s = new Nic.Sgl(1).one(nic.memory.alloc(64), 64, 0)
      assert.strictEqual(nic.postSend(qp, 0, s, 0), NicCode.QP_NOT_CONNECTED)
      assert.strictEqual(nic.postWrite(qp, 0, s, 0, 0, 0), NicCode.QP_NOT_CONNECTED)
      assert.strictEqual(nic.postRead(qp, 0, s, 0, 0, 0), NicCode.QP_NOT_CONNECTED)
      assert.strictEqual(nic.postReceive(qp, 0, s), 0)
      assert.strictEqual(nic.cqCount(cq), 0)
      assert.strictEqual(
        yield* code(nic.connectQp(qp, { remoteAddress: 77, remoteQpn: 1, ird: 1, ord: 1 })),
        NicCode.ADDRESS_IN_USE
      )
      assert.strictEqual(
        yield* code(nic.connectQp(qp, { remoteAddress: 9, remoteQpn: 1, ird: 99, ord: 1 })),
        NicCode.LIMIT_EXCEEDED
      )
      assert.strictEqual(
        yield* code(Effect.provideService(Nic.make({ address: 9 }), Fabric.Fabric, fabric)),
        NicCode.ADDRESS_IN_USE
      )
    }))

  it.scoped("R77/R89/R91/R103: post-time checks never queue anything", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ side: { sqDepth: 2 } })
      const n = a.nic
      const s = new Nic.Sgl(8).one(a.buf, 10, a.key)
      assert.strictEqual(n.postSend(a.qpn, 0, s, 0x1000), NicCode.INVALID_FLAGS)
      assert.strictEqual(n.postSend(a.qpn, 0, s, WrFlag.ALLOW_REMOTE_READ), NicCode.INVALID_FLAGS)
      assert.strictEqual(n.postRead(a.qpn, 0, s, WrFlag.INLINE, b.buf, b.key), NicCode.INVALID_FLAGS)
      assert.strictEqual(n.postReceive(a.qpn, 0, s.one(a.buf, -1, a.key)), NicCode.INVALID_ARGUMENT)
      assert.strictEqual(n.postWrite(a.qpn, 0, s.one(a.buf, 10, a.key), 0, Number.NaN, b.key), NicCode.INVALID_ARGUMENT)
      assert.strictEqual(n.postSend(a.qpn, 0, s.one(a.buf, 2 ** 31, a.key), 0), NicCode.TRANSFER_TOO_LONG)
      assert.strictEqual(n.postSend(99999, 0, s, 0), NicCode.INVALID_HANDLE)
      for (let i = 0; i < 5; i++) s.set(i, a.buf, 1, a.key)
      assert.strictEqual(n.postReceive(a.qpn, 0, s), NicCode.TOO_MANY_SGES)
      s.one(a.buf, 10, a.key)
      assert.strictEqual(n.postWrite(a.qpn, "1", s, WrFlag.DEFER, b.buf, b.key), 0)
      assert.strictEqual(n.postWrite(a.qpn, "2", s, WrFlag.DEFER, b.buf, b.key), 0)
      assert.strictEqual(n.postWrite(a.qpn, "3", s, 0, b.buf, b.key), NicCode.QUEUE_FULL)
      const c = yield* collect(a, 2)
      assert.deepStrictEqual(c.map((x) => x.context), ["1", "2"])
      assert.strictEqual(n.armCq(a.cq, 7), NicCode.INVALID_ARGUMENT)
      assert.strictEqual(n.armCq(555, Arm.NEXT), NicCode.INVALID_HANDLE)
    }))

  it.scoped("R114-R116/R118: bind and fast-register checks", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const n = a.nic
      const fr = yield* n.createMr(a.pd, { fastRegister: true })
      const mw = yield* n.createMw(a.pd)
      assert.strictEqual(n.postFastRegister(a.qpn, 0, fr, [], 0, 0, 4096, 0, 0), NicCode.INVALID_STATE)
      yield* n.initFastRegister(fr, 2, false)
      const lam = yield* n.mapLogical(a.buf, 8192)
      assert.strictEqual(
        n.postFastRegister(a.qpn, 0, fr, lam.pages, 2, 0, 4096, 0, WrFlag.ALLOW_REMOTE_READ),
        NicCode.ACCESS_DENIED
      )
      assert.strictEqual(n.postFastRegister(a.qpn, 0, fr, lam.pages, 2, 10, 4096, 0x1000, 0), NicCode.BAD_ALIGNMENT)
      assert.strictEqual(n.postFastRegister(a.qpn, 0, fr, lam.pages, 2, 0, 8193, 0, 0), NicCode.BAD_ALIGNMENT)
      assert.strictEqual(n.postFastRegister(a.qpn, 0, fr, lam.pages, 2, 0, 0, 0, 0), NicCode.ZERO_LENGTH)
      assert.strictEqual(
        n.postFastRegister(a.qpn, 0, fr, [lam.pages[0]! + 1, lam.pages[1]!], 2, 0, 4096, 0, 0),
        NicCode.BAD_ALIGNMENT
      )
      assert.strictEqual(n.postFastRegister(a.qpn, 0, fr, [0x7000000000000], 1, 0, 4096, 0, 0), NicCode.BAD_ADDRESS)
      assert.strictEqual(
        n.postFastRegister(a.qpn, 0, fr, [1, 2, 3].map(() => lam.pages[0]!), 3, 0, 4096, 0, 0),
        NicCode.LIMIT_EXCEEDED
      )
      assert.strictEqual(n.postFastRegister(a.qpn, 0, a.mr, lam.pages, 1, 0, 4096, 0, 0), NicCode.WRONG_MR_KIND)
      assert.strictEqual(n.postBind(a.qpn, 0, a.mr, mw, a.buf, 0, WrFlag.ALLOW_REMOTE_READ), NicCode.ZERO_LENGTH)
      assert.strictEqual(n.postBind(a.qpn, 0, a.mr, 4242, a.buf, 10, WrFlag.ALLOW_REMOTE_READ), NicCode.INVALID_HANDLE)
      assert.strictEqual(n.postInvalidate(a.qpn, 0, a.mr, 0), NicCode.WRONG_MR_KIND)
      // bind beyond the MR / MW already bound: the completion carries LOCAL_OPERATION_ERROR
      assert.strictEqual(n.postBind(a.qpn, "oob", a.mr, mw, a.buf + 256 * 1024 - 10, 100, WrFlag.ALLOW_REMOTE_READ), 0)
      const c = yield* collect(a, 1)
      assert.deepStrictEqual([c[0]!.status, c[0]!.context], [NicCode.LOCAL_OPERATION_ERROR, "oob"])
      assert.strictEqual(a.nic.qpState(a.qpn), Nic.QpState.ERROR)
    }))

  it.scoped("local protection errors complete with LOCAL_PROTECTION_ERROR and flush the rest", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const n = a.nic
      const ro = yield* n.createMr(a.pd)
      yield* n.registerMr(ro, a.buf, 4096, Access.LOCAL_READ)
      const s = new Nic.Sgl(1)
      // read into a sink without local write
      n.postRead(a.qpn, "sink", s.one(a.buf, 10, n.mrKey(ro)), 0, b.buf, b.key)
      n.postSend(a.qpn, "after", s.one(a.buf, 10, a.key), 0)
      const c = yield* collect(a, 2)
      assert.deepStrictEqual(c.map((x) => [x.status, x.context]), [[NicCode.LOCAL_PROTECTION_ERROR, "sink"], [
        NicCode.FLUSHED,
        "after"
      ]])
    }))

  it.scoped("wrong PD and out-of-bounds local SGEs are protection errors", () =>
    Effect.gen(function*() {
      const p1 = yield* pair()
      const pd2 = yield* p1.a.nic.allocPd
      const other = yield* p1.a.nic.createMr(pd2)
      yield* p1.a.nic.registerMr(other, p1.a.buf, 4096, Access.LOCAL_WRITE)
      p1.a.nic.postSend(p1.a.qpn, "pd", new Nic.Sgl(1).one(p1.a.buf, 10, p1.a.nic.mrKey(other)), 0)
      const c1 = yield* collect(p1.a, 1)
      assert.strictEqual(c1[0]!.status, NicCode.LOCAL_PROTECTION_ERROR)
      const p2 = yield* pair()
      p2.a.nic.postSend(p2.a.qpn, "oob", new Nic.Sgl(1).one(p2.a.buf + 256 * 1024 - 5, 10, p2.a.key), 0)
      const c2 = yield* collect(p2.a, 1)
      assert.strictEqual(c2[0]!.status, NicCode.LOCAL_PROTECTION_ERROR)
    }))

  it.scoped("R123: the privileged key reaches LAM-mapped pages locally and never remotely", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const lam = yield* a.nic.mapLogical(a.buf, 4096)
      const s = new Nic.Sgl(1)
      b.nic.postReceive(b.qpn, "r", s.one(b.buf, 64, b.key))
      assert.strictEqual(a.nic.postSend(a.qpn, "priv", s.one(lam.pages[0]!, 64, a.nic.privilegedKey), 0), 0)
      const c = yield* collect(a, 1)
      assert.strictEqual(c[0]!.status, 0)
      yield* a.nic.unmapLogical(lam.pages)
      a.nic.postSend(a.qpn, "unmapped", s.one(lam.pages[0]!, 64, a.nic.privilegedKey), 0)
      const c2 = yield* collect(a, 1)
      assert.strictEqual(c2[0]!.status, NicCode.LOCAL_PROTECTION_ERROR)
      const p2 = yield* pair()
      p2.a.nic.postWrite(p2.a.qpn, "w", s.one(p2.a.buf, 8, p2.a.key), 0, p2.b.buf, p2.b.nic.privilegedKey)
      const c3 = yield* collect(p2.a, 1)
      assert.strictEqual(c3[0]!.status, NicCode.REMOTE_ACCESS_ERROR)
    }))

  it.scoped("external caller buffer (slow path) works as a DMA target", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const ext = new Uint8Array(5000)
      const mr = yield* b.nic.createMr(b.pd)
      const va = yield* b.nic.registerExternal(mr, ext, Access.REMOTE_WRITE)
      a.nic.memory.write(a.buf, new Uint8Array([1, 2, 3, 4]))
      a.nic.postWrite(a.qpn, "w", new Nic.Sgl(1).one(a.buf, 4, a.key), 0, va + 4990, b.nic.mrKey(mr))
      const c = yield* collect(a, 1)
      assert.strictEqual(c[0]!.status, 0)
      assert.deepStrictEqual(Array.from(ext.subarray(4990, 4994)), [1, 2, 3, 4])
      yield* b.nic.deregisterMr(mr)
    }))
})
