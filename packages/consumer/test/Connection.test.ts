import * as OpFlag from "@effect-ndk/ndkpi/OpFlag"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import type * as Ndk from "../src/Ndk.js"
import { addr, drive, hosts, scopedDriven } from "./utils/hosts.js"
import { ALL, side } from "./utils/sides.js"

/** Two connected sides: host 1 connects to host 2's listener on port 4000. */
const pair = (options: { readonly clientData?: Uint8Array; readonly serverData?: Uint8Array } = {}) =>
  Effect.gen(function*() {
    const [h1, h2] = yield* hosts(2)
    const a = yield* side(h1!)
    const b = yield* side(h2!)
    const listener = yield* b.adapter.listen(addr(2, 4000))
    const server = yield* Effect.fork(Effect.gen(function*() {
      const req = yield* listener.incoming
      return yield* req.accept(b.qp, {
        inboundReadLimit: 4,
        outboundReadLimit: 4,
        ...(options.serverData === undefined ? {} : { privateData: options.serverData })
      })
    }))
    const ca = yield* drive(
      a.adapter.connect(a.qp, addr(1, 0), addr(2, 4000), {
        inboundReadLimit: 4,
        outboundReadLimit: 4,
        ...(options.clientData === undefined ? {} : { privateData: options.clientData })
      })
    )
    const cb = yield* drive(Fiber.join(server))
    return { a, b, ca, cb, listener }
  })

describe("Ndk: connections", () => {
  it.effect("R126: connect and accept resolve with a Connection (read limits, private data)", () =>
    scopedDriven(Effect.gen(function*() {
      const { ca, cb } = yield* pair({ clientData: new Uint8Array([1, 2, 3]), serverData: new Uint8Array([9]) })
      assert.deepStrictEqual(Array.from(ca.privateData.slice(0, 1)), [9])
      assert.deepStrictEqual(Array.from(cb.privateData.slice(0, 3)), [1, 2, 3])
      assert.isTrue(ca.inboundReadLimit > 0 && ca.outboundReadLimit > 0)
      assert.isFalse(ca.isDisconnected())
    })))

  it.effect("R131, R158: releasing a listener closes the requests nobody took; its close completes, the connect is refused", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const scope = yield* Scope.make()
      yield* Scope.extend(b.adapter.listen(addr(2, 4001)), scope)
      const client = yield* Effect.fork(Effect.scoped(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4001))))
      // the request arrives and raises its connect event; nobody takes it
      yield* drive(Effect.sleep("5 millis"))
      assert.strictEqual(h2!.ndk.unsafeStats().created["Connector"], 1)
      yield* drive(Scope.close(scope, Exit.void), 3000)
      const stats = h2!.ndk.unsafeStats()
      assert.strictEqual(stats.closed["Listener"], 1)
      assert.strictEqual(stats.closed["Connector"], 1)
      const exit = yield* drive(Fiber.await(client))
      assert.isTrue(Exit.isFailure(exit))
    })))

  it.effect("a send resolves the sender with its completion and the receiver with the bytes", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair()
      const recv = yield* b.qp.postReceive([b.mr.sge(0, 1024)])
      a.mr.buffer.bytes.set([7, 7, 7, 7], 0)
      const sent = yield* drive(a.qp.send([a.mr.sge(0, 4)]))
      assert.strictEqual(sent.status, 0)
      const got = yield* drive(recv.await)
      assert.strictEqual(got.bytesTransferred, 4)
      assert.deepStrictEqual(Array.from(b.mr.buffer.bytes.slice(0, 4)), [7, 7, 7, 7])
    })))

  it.effect("RDMA write then read back over the same connection", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair()
      for (let i = 0; i < 4096; i++) a.mr.buffer.bytes[i] = i & 255
      yield* drive(a.qp.write([a.mr.sge(0, 4096)], b.mr.buffer.address, b.mr.remoteToken))
      assert.strictEqual(b.mr.buffer.bytes[4095], 4095 & 255)
      yield* drive(a.qp.read([a.mr.sge(8192, 4096)], b.mr.buffer.address, b.mr.remoteToken))
      assert.deepStrictEqual(a.mr.buffer.bytes.slice(8192, 8192 + 4096), a.mr.buffer.bytes.slice(0, 4096))
    })))

  it.effect("batch: many writes collected with one resume", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair()
      const wrs: Array<Ndk.WorkRequest> = Array.from({ length: 16 }, (_, i) => ({
        _tag: "Write",
        sgl: [a.mr.sge(i * 256, 256)],
        remoteAddress: b.mr.buffer.address + BigInt(i * 256),
        remoteToken: b.mr.remoteToken,
        context: i
      }))
      const results = yield* drive(a.qp.batch(wrs))
      assert.deepStrictEqual(results.map((r) => r.context), wrs.map((w) => w.context))
      assert.isTrue(results.every((r) => r.status === 0))
    })))

  it.effect("SRQ: a QP created with a shared receive queue receives through it", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const adapter = yield* h2!.ndk.openAdapter()
      const pd = yield* adapter.createPd
      const cq = yield* adapter.createCq(64)
      const mr = yield* pd.registerMemory(4096, ALL)
      const srq = yield* pd.createSrq({ depth: 16 })
      const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq, srq })
      const listener = yield* adapter.listen(addr(2, 4100))
      const server = yield* Effect.fork(Effect.flatMap(listener.incoming, (r) => r.accept(qp)))
      yield* drive(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4100)))
      yield* drive(Fiber.join(server))
      const recv = yield* srq.postReceive([mr.sge(0, 256)], "srq-1")
      assert.strictEqual(srq.outstanding(), 1)
      a.mr.buffer.bytes.set([5, 6, 7], 0)
      yield* drive(a.qp.send([a.mr.sge(0, 3)]))
      const got = yield* drive(recv.await)
      assert.strictEqual(got.bytesTransferred, 3)
      assert.strictEqual(got.context, "srq-1")
      assert.deepStrictEqual(Array.from(mr.buffer.bytes.slice(0, 3)), [5, 6, 7])
      assert.strictEqual(srq.outstanding(), 0)
    })))

  it.effect("MW: bind a window over part of an MR; the peer reads through the window's token; invalidate", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair()
      const mw = yield* b.pd.createMw
      b.mr.buffer.bytes.set([1, 2, 3, 4], 512)
      yield* drive(b.qp.bind(b.mr, mw, 512, 256, OpFlag.NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_READ))
      const token = yield* mw.remoteToken
      yield* drive(a.qp.read([a.mr.sge(0, 4)], b.mr.buffer.address + 512n, token))
      assert.deepStrictEqual(Array.from(a.mr.buffer.bytes.slice(0, 4)), [1, 2, 3, 4])
      const done = yield* drive(b.qp.invalidate(mw))
      assert.strictEqual(done.status, 0)
    })))

  it.effect("R128: a rejected connect fails with ConnectionRefused; nothing stays open", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const listener = yield* b.adapter.listen(addr(2, 4001))
      yield* Effect.fork(Effect.scoped(Effect.flatMap(listener.incoming, (req) => req.reject())))
      const e = yield* drive(Effect.flip(Effect.scoped(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4001)))))
      assert.strictEqual(e._tag, "ConnectionRefused")
    })))

  it.effect("no listener: connect fails with a typed error", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, _h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const e = yield* drive(Effect.flip(Effect.scoped(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4999)))))
      assert.strictEqual(e._tag, "ConnectionRefused")
    })))

  it.effect("R149: the peer's disconnect completes `disconnected`; closing cancels a pending disconnect", () =>
    scopedDriven(Effect.gen(function*() {
      const { ca, cb } = yield* pair()
      // a graceful disconnect completes only once the peer disconnects too (SPEC.md §9.8)
      const leaving = yield* Effect.fork(ca.disconnect)
      yield* drive(cb.disconnected)
      assert.isTrue(cb.isDisconnected())
      // §8.7: closing the connector with its disconnect pending completes the disconnect (Cancelled)
      yield* drive(ca.close)
      const e = yield* drive(Effect.flip(Fiber.join(leaving)))
      assert.strictEqual(e._tag, "Cancelled")
    })))

  it.effect("closing everything under load: every close completion fires, nothing leaks", () =>
    scopedDriven(Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { a, b } = yield* Scope.extend(pair(), scope)
      const recvs = yield* Effect.forEach(Array.from({ length: 32 }), () => b.qp.postReceive([b.mr.sge(0, 64)]))
      const waiting = yield* Effect.fork(Effect.forEach(recvs.slice(0, 4), (r) => r.await))
      yield* drive(Scope.close(scope, Exit.void))
      yield* Fiber.await(waiting)
      const sa = a.h.ndk.unsafeStats()
      const sb = b.h.ndk.unsafeStats()
      for (const s of [sa, sb]) {
        assert.strictEqual(s.outstanding, 0)
        assert.strictEqual(s.lost, 0)
        assert.strictEqual(s.strays, 0)
        for (const [k, n] of Object.entries(s.created)) assert.strictEqual(s.closed[k], n, k)
      }
      assert.isTrue(sb.requestsFlushed >= 32)
    })))
})
