import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import * as Ndk from "../src/Ndk.js"
import { addr, drive, hosts, scopedDriven } from "./utils/hosts.js"
import { ALL, side } from "./utils/sides.js"

const pair = Effect.gen(function*() {
  const [h1, h2] = yield* hosts(2)
  const a = yield* side(h1!, { bufBytes: 16384, depth: 16 })
  const b = yield* side(h2!, { bufBytes: 16384, depth: 16 })
  const listener = yield* b.adapter.listen(addr(2, 4200))
  const limits = { inboundReadLimit: 4, outboundReadLimit: 4 }
  const server = yield* Effect.fork(Effect.flatMap(listener.incoming, (r) => r.accept(b.qp, limits)))
  yield* drive(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4200), limits))
  yield* drive(Fiber.join(server))
  return { a, b }
})

describe("Ndk: registering the caller's own bytes (outside host memory)", () => {
  it.effect("R111: registerBytes is scoped; the peer RDMA-writes into and reads from the caller's bytes by their VA", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const backing = new Uint8Array(10000).fill(0xc3)
      const mine = backing.subarray(1000, 9000)
      const scope = yield* Scope.make()
      const own = yield* Scope.extend(b.pd.registerBytes(mine, ALL, { address: 0x5000_0000_0000n }), scope)
      assert.strictEqual(own.buffer.bytes, mine)
      assert.strictEqual(own.buffer.address, 0x5000_0000_0000n)
      assert.isTrue(own.remoteToken !== 0)
      for (let i = 0; i < 4096; i++) a.mr.buffer.bytes[i] = (i * 3) & 255
      yield* drive(a.qp.write([a.mr.sge(0, 4096)], own.buffer.address + 100n, own.remoteToken))
      assert.deepStrictEqual(mine.subarray(100, 4196), a.mr.buffer.bytes.subarray(0, 4096))
      mine.set([4, 3, 2, 1], 7996)
      yield* drive(a.qp.read([a.mr.sge(8192, 4)], own.buffer.address + 7996n, own.remoteToken))
      assert.deepStrictEqual(Array.from(a.mr.buffer.bytes.subarray(8192, 8196)), [4, 3, 2, 1])
      // the bytes around the registered range are never touched
      assert.isTrue(backing.subarray(0, 1000).every((x) => x === 0xc3))
      assert.isTrue(backing.subarray(9000).every((x) => x === 0xc3))
      // leaving the scope deregisters and closes the MR: the peer can no longer reach the bytes
      yield* drive(Scope.close(scope, Exit.void))
      const stats = yield* b.h.ndk.stats
      assert.strictEqual(stats.closed["Mr"], 1)
      const before = mine.slice()
      const late = yield* Effect.flip(drive(a.qp.write([a.mr.sge(0, 16)], own.buffer.address, own.remoteToken)))
      assert.strictEqual(late._tag, "AccessViolation")
      assert.deepStrictEqual(mine, before)
    })))

  it.effect("R111: without an address, each caller buffer gets its own page-aligned VA; local SGEs over it work", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pair
      const src = Uint8Array.from({ length: 300 }, (_, i) => (i * 11) & 255)
      const own1 = yield* a.pd.registerBytes(src, ALL)
      const own2 = yield* a.pd.registerBytes(new Uint8Array(5000), ALL)
      assert.strictEqual(own1.buffer.address % 4096n, 0n)
      assert.strictEqual(own2.buffer.address % 4096n, 0n)
      assert.isTrue(own2.buffer.address >= own1.buffer.address + 4096n)
      const recv = yield* b.qp.postReceive([b.mr.sge(0, 1024)])
      yield* drive(a.qp.send([own1.sge(0, 300)]))
      const got = yield* drive(recv.await)
      assert.strictEqual(got.bytesTransferred, 300)
      assert.deepStrictEqual(b.mr.buffer.bytes.subarray(0, 300), src)
      // a read from the peer lands in the caller's bytes (read sink)
      b.mr.buffer.bytes.set([8, 9], 2000)
      yield* drive(a.qp.read([own2.sge(4990, 2)], b.mr.buffer.address + 2000n, b.mr.remoteToken))
      assert.deepStrictEqual(Array.from(own2.buffer.bytes.subarray(4990, 4992)), [8, 9])
    })))

  it.effect("callerBuffer + registerBuffer is the same path; empty bytes are InvalidParameter", () =>
    scopedDriven(Effect.gen(function*() {
      const [h] = yield* hosts(1)
      const adapter = yield* h!.ndk.openAdapter()
      const pd = yield* adapter.createPd
      const bytes = new Uint8Array(64)
      const mr = yield* pd.registerBuffer(Ndk.callerBuffer(bytes, 0x4400_0000_0000n), ALL)
      assert.strictEqual(mr.buffer.mdl.bytes, bytes)
      assert.strictEqual(mr.sge(8, 8).VirtualAddress, 0x4400_0000_0008n)
      const e = yield* Effect.flip(pd.registerBytes(new Uint8Array(0), ALL))
      assert.strictEqual(e._tag, "InvalidParameter")
      const e2 = yield* Effect.flip(pd.registerBytes(new Uint8Array(8), ALL, { address: 0n }))
      assert.strictEqual(e2._tag, "InvalidParameter")
    })))
})
