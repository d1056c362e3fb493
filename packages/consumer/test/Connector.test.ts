import { EPHEMERAL_PORT_FIRST, PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import { NdkOpFlag } from "@effect-ndk/ndkpi/OpFlag"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import { addr, drive, hosts, scopedDriven } from "./utils/hosts.js"
import type { Side } from "./utils/sides.js"
import { side } from "./utils/sides.js"

/** A server accepting one request on `port` (plain or `Ex`), in a fiber. */
const serve = (s: Side, port: number, o: { readonly ex?: boolean; readonly data?: Uint8Array } = {}) =>
  Effect.gen(function*() {
    const listener = yield* s.adapter.listen(addr(s.h.host.address, port))
    const accepted = yield* Effect.fork(Effect.gen(function*() {
      const req = yield* listener.incoming
      const options = {
        inboundReadLimit: 4,
        outboundReadLimit: 4,
        ...(o.data === undefined ? {} : { privateData: o.data })
      }
      const peer = yield* req.peerAddress
      const local = yield* req.localAddress
      const conn = yield* (o.ex === true ? req.acceptEx(s.qp, options) : req.accept(s.qp, options))
      return { conn, peer, local }
    }))
    return { listener, accepted }
  })

/**
 * Records the names of the dispatch-table and synchronous-twin functions called on `objects` (the tables are the
 * provider's, shared by every object of a type: wrapped in place until `restore`).
 */
const spyOn = (
  objects: ReadonlyArray<object & { readonly Dispatch: object; readonly unsafe?: object | undefined }>
) => {
  const calls: Array<string> = []
  const undo: Array<() => void> = []
  const targets = new Set<object>(objects)
  const tables = new Set<object>()
  for (const o of objects) {
    tables.add(o.Dispatch)
    if (o.unsafe !== undefined) tables.add(o.unsafe)
  }
  for (const table of tables) {
    for (const [name, f] of Object.entries(table)) {
      if (typeof f !== "function") continue
      Object.defineProperty(table, name, {
        configurable: true,
        writable: true,
        value: (...args: Array<unknown>) => {
          if (targets.has(args[0] as object)) calls.push(name)
          return f.apply(table, args)
        }
      })
      undo.push(() => Object.defineProperty(table, name, { configurable: true, writable: true, value: f }))
    }
  }
  return { calls, restore: () => undo.forEach((u) => u()) }
}

describe("Ndk: standalone connectors", () => {
  it.effect("R146, R134: connect, read the reply, then completeConnect; addresses on both sides", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const { accepted } = yield* serve(b, 4200, { data: new Uint8Array([4, 2]) })
      const connector = yield* a.adapter.createConnector
      const data = yield* drive(connector.connect(a.qp, addr(1, 0), addr(2, 4200), { inboundReadLimit: 4 }))
      assert.deepStrictEqual(Array.from(data.privateData.slice(0, 2)), [4, 2])
      const local = yield* connector.localAddress
      assert.isTrue(local.port >= EPHEMERAL_PORT_FIRST)
      assert.deepStrictEqual(yield* connector.peerAddress, addr(2, 4200))
      const ca = yield* drive(connector.completeConnect)
      const { conn: cb, local: serverLocal, peer } = yield* drive(Fiber.join(accepted))
      assert.deepStrictEqual(peer, local)
      assert.deepStrictEqual(serverLocal, addr(2, 4200))
      assert.deepStrictEqual(yield* cb.peerAddress, local)
      assert.deepStrictEqual(yield* ca.localAddress, local)
      // traffic over it
      const recv = yield* b.qp.postReceive([b.mr.sge(0, 64)])
      a.mr.buffer.bytes.set([1, 2, 3], 0)
      yield* drive(a.qp.send([a.mr.sge(0, 3)]))
      assert.strictEqual((yield* drive(recv.await)).bytesTransferred, 3)
    })))

  it.effect("R155: completeConnectEx / acceptEx: the disconnect event carries the provider's reason", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const { accepted } = yield* serve(b, 4201, { ex: true })
      const connector = yield* a.adapter.createConnector
      yield* drive(connector.connect(a.qp, addr(1, 0), addr(2, 4201)))
      const ca = yield* drive(connector.completeConnectEx)
      const { conn: cb } = yield* drive(Fiber.join(accepted))
      // the client aborts (closes its connector): the server's Ex event fires with a reason
      yield* drive(ca.close)
      const reason = yield* drive(cb.disconnectReason)
      assert.isTrue(Number.isInteger(reason) && reason >= 0)
      assert.isTrue(cb.isDisconnected())
    })))

  it.effect("R156: a connector whose connect was refused connects again once someone listens", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const connector = yield* a.adapter.createConnector
      const e = yield* drive(Effect.flip(connector.connect(a.qp, addr(1, 0), addr(2, 4204))))
      assert.strictEqual(e._tag, "ConnectionRefused")
      const { accepted } = yield* serve(b, 4204)
      yield* drive(connector.connect(a.qp, addr(1, 0), addr(2, 4204)))
      const ca = yield* drive(connector.completeConnect)
      yield* drive(Fiber.join(accepted))
      assert.isFalse(ca.isDisconnected())
    })))

  it.effect("R25: a connector created before its QP: the scope still closes the connector first, nothing hangs", () =>
    Effect.gen(function*() {
      const outer = yield* Scope.make()
      const [h1, h2] = yield* Scope.extend(hosts(2), outer)
      const b = yield* Scope.extend(side(h2!), outer)
      const { accepted } = yield* Scope.extend(serve(b, 4205), outer)
      const scope = yield* Scope.make()
      const adapter = yield* Scope.extend(h1!.ndk.openAdapter(), scope)
      const connector = yield* Scope.extend(adapter.createConnector, scope)
      const pd = yield* Scope.extend(adapter.createPd, scope)
      const cq = yield* Scope.extend(adapter.createCq(64), scope)
      const qp = yield* Scope.extend(pd.createQp({ receiveCq: cq, initiatorCq: cq }), scope)
      yield* Scope.extend(drive(connector.connect(qp, addr(1, 0), addr(2, 4205))), scope)
      yield* drive(connector.completeConnect)
      yield* drive(Fiber.join(accepted))
      yield* drive(Scope.close(scope, Exit.void))
      const st = h1!.ndk.unsafeStats()
      for (const [k, n] of Object.entries(st.created)) assert.strictEqual(st.closed[k], n, k)
      yield* drive(Scope.close(outer, Exit.void))
    }))

  it.effect("R139: completeConnect before a successful connect fails with ConnectionInvalid", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1] = yield* hosts(1)
      const a = yield* side(h1!)
      const connector = yield* a.adapter.createConnector
      const e = yield* drive(Effect.flip(connector.completeConnect))
      assert.strictEqual(e._tag, "ConnectionInvalid")
      const l = yield* Effect.flip(connector.localAddress)
      assert.strictEqual(l._tag, "ConnectionInvalid")
    })))

  it.effect("R142: an active-side reject after the reply makes the passive accept fail", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const { accepted } = yield* serve(b, 4202)
      const connector = yield* a.adapter.createConnector
      yield* drive(connector.connect(a.qp, addr(1, 0), addr(2, 4202)))
      yield* connector.reject(new Uint8Array([9]))
      const e = yield* drive(Effect.flip(Fiber.join(accepted)))
      assert.include(["ConnectionRefused", "ConnectionAborted"], e._tag)
    })))

  it.effect("R127: a passive reject fails connect with ConnectionRefused; its private data is readable", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const listener = yield* b.adapter.listen(addr(2, 4203))
      yield* Effect.fork(Effect.scoped(Effect.flatMap(listener.incoming, (req) => req.reject(new Uint8Array([7, 7])))))
      const connector = yield* a.adapter.createConnector
      const e = yield* drive(Effect.flip(connector.connect(a.qp, addr(1, 0), addr(2, 4203))))
      assert.strictEqual(e._tag, "ConnectionRefused")
      const data = yield* connector.connectionData
      assert.deepStrictEqual(Array.from(data.privateData.slice(0, 2)), [7, 7])
    })))
})

describe("Ndk: shared endpoints", () => {
  it.effect("R138, R134: several connections from one shared endpoint to different destinations", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2, h3] = yield* hosts(3)
      const a = yield* side(h1!)
      const a2 = yield* a.pd.createQp({ receiveCq: a.cq, initiatorCq: a.cq })
      const b = yield* side(h2!)
      const c = yield* side(h3!)
      const sb = yield* serve(b, 4300)
      const sc = yield* serve(c, 4300, { ex: true })
      const endpoint = yield* drive(a.adapter.createSharedEndpoint(addr(1, 0)))
      const local = yield* endpoint.localAddress
      assert.isTrue(local.port >= EPHEMERAL_PORT_FIRST)
      const toB = yield* drive(endpoint.connect(a.qp, addr(2, 4300)))
      const toC = yield* drive(endpoint.connect(a2, addr(3, 4300), { ex: true }))
      yield* drive(Fiber.join(sb.accepted))
      const { peer } = yield* drive(Fiber.join(sc.accepted))
      assert.deepStrictEqual(yield* toB.localAddress, local)
      assert.deepStrictEqual(yield* toC.localAddress, local)
      assert.deepStrictEqual(peer, local)
      // R137: the same 4-tuple again is refused
      const qp3 = yield* a.pd.createQp({ receiveCq: a.cq, initiatorCq: a.cq })
      const dup = yield* drive(Effect.flip(Effect.scoped(endpoint.connect(qp3, addr(2, 4300)))))
      assert.strictEqual(dup._tag, "AddressInUse")
    })))

  it.effect("R169: a second shared endpoint on the same address fails at creation with AddressInUse", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1] = yield* hosts(1)
      const a = yield* side(h1!)
      yield* drive(a.adapter.createSharedEndpoint(addr(1, 5000)))
      const e = yield* drive(Effect.flip(Effect.scoped(a.adapter.createSharedEndpoint(addr(1, 5000)))))
      assert.strictEqual(e._tag, "AddressInUse")
    })))

  it.effect("R138: the shared endpoint's release waits for its connectors; every close completion fires", () =>
    Effect.gen(function*() {
      const outer = yield* Scope.make()
      const [h1, h2] = yield* Scope.extend(hosts(2), outer)
      const scope = yield* Scope.make()
      const a = yield* Scope.extend(side(h1!), scope)
      const b = yield* Scope.extend(side(h2!), scope)
      const s = yield* Scope.extend(serve(b, 4301), scope)
      const endpoint = yield* Scope.extend(drive(a.adapter.createSharedEndpoint(addr(1, 0))), scope)
      yield* Scope.extend(drive(endpoint.connect(a.qp, addr(2, 4301))), scope)
      yield* drive(Fiber.join(s.accepted))
      yield* drive(Scope.close(scope, Exit.void))
      const st = h1!.ndk.unsafeStats()
      assert.strictEqual(st.closed["SharedEndpoint"], 1)
      for (const [k, n] of Object.entries(st.created)) assert.strictEqual(st.closed[k], n, k)
      assert.strictEqual(st.lost, 0)
      yield* drive(Scope.close(outer, Exit.void))
    }))
})

describe("Ndk: listener queries and connect-event control", () => {
  it.effect("R134, R129: listen on port 0 reports its port; paused, connects are refused; resumed, they succeed", () =>
    scopedDriven(Effect.gen(function*() {
      const [h1, h2] = yield* hosts(2)
      const a = yield* side(h1!)
      const b = yield* side(h2!)
      const listener = yield* drive(b.adapter.listen(addr(2, 0)))
      const at = yield* listener.localAddress
      assert.isTrue(at.port >= EPHEMERAL_PORT_FIRST)
      yield* listener.pause
      const refused = yield* drive(Effect.flip(Effect.scoped(a.adapter.connect(a.qp, addr(1, 0), at))))
      assert.strictEqual(refused._tag, "ConnectionRefused")
      yield* listener.resume
      const qp = yield* a.pd.createQp({ receiveCq: a.cq, initiatorCq: a.cq })
      const accepted = yield* Effect.fork(Effect.flatMap(listener.incoming, (r) => r.accept(b.qp)))
      const conn = yield* drive(a.adapter.connect(qp, addr(1, 0), at))
      yield* drive(Fiber.join(accepted))
      assert.deepStrictEqual(yield* conn.peerAddress, at)
      assert.isFalse(conn.isDisconnected())
    })))
})

describe("Ndk: memory windows, fast registration, logical addresses", () => {
  const pair = Effect.gen(function*() {
    const [h1, h2] = yield* hosts(2)
    const a = yield* side(h1!)
    const b = yield* side(h2!)
    const { accepted } = yield* serve(b, 4400)
    yield* drive(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4400), { inboundReadLimit: 4, outboundReadLimit: 4 }))
    yield* drive(Fiber.join(accepted))
    return { a, b }
  })

  it.effect("found by the simulator (R31): a WR naming a closed MW, MR or fast-register MR fails with InvalidState", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const mw = yield* b.pd.createMw
      const buffer = yield* b.adapter.allocate(PAGE_SIZE)
      const lam = yield* drive(b.adapter.buildLam(buffer))
      const frmr = yield* drive(b.pd.createFastRegisterMr({ pageCount: 2, remoteAccess: true }))
      const mr = yield* b.pd.registerMemory(4096, NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE)
      yield* drive(Effect.all([mw.close, frmr.close, mr.close]))
      const read = NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_READ
      // refused before the provider sees them: the provider would be handed a closed object
      assert.strictEqual((yield* drive(Effect.flip(b.qp.bind(b.mr, mw, 0, 256, read))))._tag, "InvalidState")
      assert.strictEqual((yield* drive(Effect.flip(b.qp.invalidate(mw))))._tag, "InvalidState")
      assert.strictEqual((yield* drive(Effect.flip(b.qp.fastRegister(frmr, lam))))._tag, "InvalidState")
      const live = yield* b.pd.createMw
      assert.strictEqual((yield* drive(Effect.flip(b.qp.bind(mr, live, 0, 256, read))))._tag, "InvalidState")
      // nothing reached the QP: it still binds an open window, and the peer reads through it
      b.mr.buffer.bytes.set([7, 7, 7, 7], 0)
      yield* drive(b.qp.bind(b.mr, live, 0, 256, read))
      yield* drive(a.qp.read([a.mr.sge(0, 4)], b.mr.buffer.address, yield* live.remoteToken))
      assert.deepStrictEqual(Array.from(a.mr.buffer.bytes.slice(0, 4)), [7, 7, 7, 7])
    })))

  it.effect("R31: every post to a QP or SRQ whose close has started fails with InvalidState before the provider sees it", () =>
    scopedDriven(Effect.gen(function*() {
      const [h] = yield* hosts(1)
      const a = yield* side(h!)
      const srq = yield* a.pd.createSrq({ depth: 4 })
      yield* drive(Effect.all([a.qp.close, srq.close]))
      const sge = [a.mr.sge(0, 8)]
      const posts = [
        a.qp.send(sge),
        a.qp.receive(sge),
        a.qp.postReceive(sge),
        a.qp.write(sge, a.mr.buffer.address, 0),
        a.qp.batch([{ _tag: "Send", sgl: sge }]),
        a.qp.submit({ _tag: "Receive", sgl: sge }),
        a.qp.sendAndInvalidate(sge, 0),
        srq.receive(sge),
        srq.postReceive(sge)
      ]
      const spy = spyOn([a.qp.raw, srq.raw])
      const tags = yield* Effect.ensuring(
        Effect.gen(function*() {
          const tags = yield* Effect.all(posts.map((post) => Effect.map(Effect.flip(drive(post)), (e) => e._tag)))
          yield* drive(a.qp.flush)
          return tags
        }),
        Effect.sync(spy.restore)
      )
      assert.deepStrictEqual(tags, new Array(posts.length).fill("InvalidState"))
      assert.deepStrictEqual(spy.calls, [])
      assert.strictEqual(a.qp.outstanding(), 0)
      assert.strictEqual(srq.outstanding(), 0)
    })))

  it.effect("R120: after an MW is invalidated, a read through its old token fails with AccessViolation", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const mw = yield* b.pd.createMw
      b.mr.buffer.bytes.set([1, 2, 3, 4], 512)
      yield* drive(b.qp.bind(b.mr, mw, 512, 256, NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_READ))
      const token = yield* mw.remoteToken
      yield* drive(a.qp.read([a.mr.sge(0, 4)], b.mr.buffer.address + 512n, token))
      assert.deepStrictEqual(Array.from(a.mr.buffer.bytes.slice(0, 4)), [1, 2, 3, 4])
      yield* drive(b.qp.invalidate(mw))
      const e = yield* drive(Effect.flip(a.qp.read([a.mr.sge(0, 4)], b.mr.buffer.address + 512n, token)))
      assert.strictEqual(e._tag, "AccessViolation")
    })))

  it.effect("R117: a fast-registered MR over a LAM is writable by the peer; invalidated, its token is dead", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const buffer = yield* b.adapter.allocate(2 * PAGE_SIZE)
      const lam = yield* drive(b.adapter.buildLam(buffer))
      const frmr = yield* drive(b.pd.createFastRegisterMr({ pageCount: 4, remoteAccess: true }))
      const flags = NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_WRITE | NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_READ
      yield* drive(b.qp.fastRegister(frmr, lam, { flags }))
      const token = yield* frmr.remoteToken
      a.mr.buffer.bytes.set([5, 6, 7, 8], 0)
      yield* drive(a.qp.write([a.mr.sge(0, 4)], buffer.address + 100n, token))
      assert.deepStrictEqual(Array.from(buffer.bytes.slice(100, 104)), [5, 6, 7, 8])
      yield* drive(b.qp.invalidate(frmr))
      const e = yield* drive(Effect.flip(a.qp.write([a.mr.sge(0, 4)], buffer.address, token)))
      assert.strictEqual(e._tag, "AccessViolation")
    })))

  it.effect("sendAndInvalidate: the peer's fast-registered token is dead once the receive completes", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const buffer = yield* b.adapter.allocate(PAGE_SIZE)
      const lam = yield* drive(b.adapter.buildLam(buffer))
      const frmr = yield* drive(b.pd.createFastRegisterMr({ pageCount: 1, remoteAccess: true }))
      yield* drive(b.qp.fastRegister(frmr, lam, { flags: NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_WRITE }))
      const token = yield* frmr.remoteToken
      const recv = yield* b.qp.postReceive([b.mr.sge(0, 64)])
      yield* drive(a.qp.sendAndInvalidate([a.mr.sge(0, 8)], token))
      assert.strictEqual((yield* drive(recv.await)).bytesTransferred, 8)
      const e = yield* drive(Effect.flip(a.qp.write([a.mr.sge(0, 4)], buffer.address, token)))
      assert.strictEqual(e._tag, "AccessViolation")
    })))

  it.effect("R123: a send from logical addresses with the privileged token delivers the bytes", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const buffer = yield* a.adapter.allocate(PAGE_SIZE + 512)
      buffer.bytes.set([11, 12, 13], PAGE_SIZE - 1)
      const lam = yield* drive(a.adapter.buildLam(buffer))
      const token = yield* a.pd.privilegedToken
      const recv = yield* b.qp.postReceive([b.mr.sge(0, 64)])
      yield* drive(a.qp.send(lam.sgl(token, PAGE_SIZE - 1, 3)))
      assert.strictEqual((yield* drive(recv.await)).bytesTransferred, 3)
      assert.deepStrictEqual(Array.from(b.mr.buffer.bytes.slice(0, 3)), [11, 12, 13])
      // the privileged token grants no remote access (SPEC §11.2): the peer's write with it fails
      const e = yield* drive(Effect.flip(b.qp.write([b.mr.sge(0, 4)], lam.address(0), token)))
      assert.strictEqual(e._tag, "AccessViolation")
    })))
})
