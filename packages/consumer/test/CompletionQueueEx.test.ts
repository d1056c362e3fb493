/**
 * Extended CQs: `createCq(depth, { extended: true })` polls with `NdkGetCqResultsEx` [1.2] and reports the
 * completions nobody waits for, with their `NDK_RESULT_EX` fields, on `resultsEx`.
 */
import { PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NdkOperationType as Op } from "@effect-ndk/ndkpi/OperationType"
import { NdkOpFlag } from "@effect-ndk/ndkpi/OpFlag"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import type { TestHost } from "./utils/hosts.js"
import { addr, drive, hosts, scopedDriven } from "./utils/hosts.js"
import { ALL } from "./utils/sides.js"

/** One side whose only CQ is extended. */
const sideEx = (h: TestHost) =>
  Effect.gen(function*() {
    const adapter = yield* h.ndk.openAdapter()
    const pd = yield* adapter.createPd
    const cq = yield* adapter.createCq(256, { extended: true })
    const mr = yield* pd.registerMemory(65536, ALL)
    const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq, receiveQueueDepth: 64, initiatorQueueDepth: 64 })
    return { adapter, pd, cq, mr, qp }
  })

/** Two connected extended sides: host 1 connects to host 2's listener. */
const pairEx = Effect.gen(function*() {
  const [h1, h2] = yield* hosts(2)
  const a = yield* sideEx(h1!)
  const b = yield* sideEx(h2!)
  const listener = yield* b.adapter.listen(addr(2, 4700))
  const server = yield* Effect.fork(Effect.flatMap(
    listener.incoming,
    (req) => req.accept(b.qp, { inboundReadLimit: 4, outboundReadLimit: 4 })
  ))
  yield* drive(a.adapter.connect(a.qp, addr(1, 0), addr(2, 4700), { inboundReadLimit: 4, outboundReadLimit: 4 }))
  yield* drive(Fiber.join(server))
  return { a, b }
})

describe("Ndk: extended completion queues (NdkGetCqResultsEx)", () => {
  it.effect("R73, R163: send, receive, write and read completions carry their operation type and error code 0", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pairEx
      assert.isTrue(a.cq.extended)
      a.mr.buffer.bytes.set([1, 2, 3, 4, 5, 6, 7, 8], 0)
      b.mr.buffer.bytes.set([9, 9, 9, 9], 1024)
      yield* b.qp.submit({ _tag: "Receive", sgl: [b.mr.sge(0, 64)], context: "recv" })
      yield* a.qp.submit({ _tag: "Send", sgl: [a.mr.sge(0, 8)], context: "send" })
      yield* a.qp.submit({
        _tag: "Write",
        sgl: [a.mr.sge(0, 4)],
        remoteAddress: b.mr.buffer.address + 512n,
        remoteToken: b.mr.remoteToken,
        context: "write"
      })
      yield* a.qp.submit({
        _tag: "Read",
        sgl: [a.mr.sge(2048, 4)],
        remoteAddress: b.mr.buffer.address + 1024n,
        remoteToken: b.mr.remoteToken,
        context: "read"
      })
      const got = Chunk.toReadonlyArray(yield* drive(Stream.runCollect(Stream.take(a.cq.resultsEx, 3))))
      const byContext = new Map(got.map((c) => [c.context, c]))
      assert.strictEqual(byContext.get("send")!.type, Op.NdkOperationTypeSend)
      assert.strictEqual(byContext.get("write")!.type, Op.NdkOperationTypeWrite)
      assert.strictEqual(byContext.get("read")!.type, Op.NdkOperationTypeRead)
      const [recv] = Chunk.toReadonlyArray(yield* drive(Stream.runCollect(Stream.take(b.cq.resultsEx, 1))))
      assert.strictEqual(recv!.context, "recv")
      assert.strictEqual(recv!.type, Op.NdkOperationTypeReceive)
      assert.strictEqual(recv!.bytesTransferred, 8)
      for (const c of [...got, recv!]) {
        assert.strictEqual(c.status, 0)
        assert.strictEqual(c.providerErrorCode, 0)
        assert.strictEqual(c.typeSpecificOutput, 0)
      }
      assert.deepStrictEqual(Array.from(b.mr.buffer.bytes.slice(512, 516)), [1, 2, 3, 4])
      assert.deepStrictEqual(Array.from(a.mr.buffer.bytes.slice(2048, 2052)), [9, 9, 9, 9])
      // nothing went to the plain stream, nothing was lost
      const plain = yield* Effect.fork(Stream.runCollect(Stream.take(a.cq.results, 1)))
      yield* drive(Effect.sleep("1 millis"))
      assert.isTrue(Option.isNone(yield* plain.poll))
      yield* Fiber.interrupt(plain)
    })))

  it.effect("R94: a receive completed by the peer's sendAndInvalidate reports ReceiveAndInvalidate and the token", () =>
    scopedDriven(Effect.gen(function*() {
      const { a, b } = yield* pairEx
      const buffer = yield* b.adapter.allocate(PAGE_SIZE)
      const lam = yield* drive(b.adapter.buildLam(buffer))
      const frmr = yield* drive(b.pd.createFastRegisterMr({ pageCount: 1, remoteAccess: true }))
      yield* drive(b.qp.fastRegister(frmr, lam, { flags: NdkOpFlag.NDK_OP_FLAG_ALLOW_REMOTE_WRITE }))
      const token = yield* frmr.remoteToken
      yield* b.qp.submit({ _tag: "Receive", sgl: [b.mr.sge(0, 64)], context: "recv" })
      // the waiting form resolves as on any CQ
      const sent = yield* drive(a.qp.sendAndInvalidate([a.mr.sge(0, 8)], token))
      assert.strictEqual(sent.status, 0)
      const [recv] = Chunk.toReadonlyArray(yield* drive(Stream.runCollect(Stream.take(b.cq.resultsEx, 1))))
      assert.strictEqual(recv!.type, Op.NdkOperationTypeReceiveAndInvalidate)
      assert.strictEqual(recv!.typeSpecificOutput, token)
      assert.strictEqual(recv!.bytesTransferred, 8)
      assert.strictEqual(recv!.providerErrorCode, 0)
    })))

  it.effect("a flushed submitted receive arrives on resultsEx with its failing status and Receive type", () =>
    scopedDriven(Effect.gen(function*() {
      const [h] = yield* hosts(1)
      const s = yield* sideEx(h!)
      yield* s.qp.submit({ _tag: "Receive", sgl: [s.mr.sge(0, 8)], context: 7 })
      yield* s.qp.flush
      const [c] = Chunk.toReadonlyArray(yield* drive(Stream.runCollect(Stream.take(s.cq.resultsEx, 1))))
      assert.strictEqual(c!.context, 7)
      assert.strictEqual(c!.type, Op.NdkOperationTypeReceive)
      assert.notStrictEqual(c!.status, 0)
    })))

  it.effect("NdkGetCqResultsEx exists from 1.2: on a 1.1 negotiation an extended CQ is refused with NotSupported", () =>
    scopedDriven(Effect.gen(function*() {
      const [h] = yield* hosts(1, { version: NdkVersion.V1_1 })
      const adapter = yield* h!.ndk.openAdapter({ version: NdkVersion.V1_0 })
      assert.deepStrictEqual(adapter.version, NdkVersion.V1_1)
      const e = yield* Effect.flip(adapter.createCq(8, { extended: true }))
      assert.strictEqual(e._tag, "NotSupported")
      // a plain CQ works there as always
      const cq = yield* adapter.createCq(8)
      assert.isFalse(cq.extended)
      // from 1.2 on it is accepted
      const [h12] = yield* hosts(1, { version: NdkVersion.V1_2 })
      const v12 = yield* h12!.ndk.openAdapter({ version: NdkVersion.V1_0 })
      assert.deepStrictEqual(v12.version, NdkVersion.V1_2)
      const ex = yield* v12.createCq(8, { extended: true })
      assert.isTrue(ex.extended)
    })))

  it.effect("resultsEx on a CQ created without extended fails with NotSupported", () =>
    scopedDriven(Effect.gen(function*() {
      const [h] = yield* hosts(1)
      const adapter = yield* h!.ndk.openAdapter()
      const cq = yield* adapter.createCq(8)
      const e = yield* Effect.flip(Stream.runDrain(cq.resultsEx))
      assert.strictEqual(e._tag, "NotSupported")
    })))
})
