import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Fabric from "../src/Fabric.js"
import { PSN_MASK, PSN_SPACE, unwrapPsn } from "../src/internal/nic.js"
import * as Nic from "../src/Nic.js"
import { Access, NicCode, Opcode, WrFlag } from "../src/NicCode.js"
import { collect, drain, makeSide, pair, pattern, run, settle } from "./helpers.js"
import type { Side } from "./helpers.js"

/** Connects a → b with explicit limits and starting PSNs (each side: its own ird/ord, b expects a's sendPsn). */
const connectWith = (
  a: Side,
  b: Side,
  o: { readonly aIrd: number; readonly aOrd: number; readonly bIrd: number; readonly bOrd: number; psn?: number }
) =>
  Effect.gen(function*() {
    const psn = o.psn ?? 0
    yield* a.nic.connectQp(a.qpn, {
      remoteAddress: b.nic.address,
      remoteQpn: b.qpn,
      ird: o.aIrd,
      ord: o.aOrd,
      sendPsn: psn,
      recvPsn: psn
    })
    yield* b.nic.connectQp(b.qpn, {
      remoteAddress: a.nic.address,
      remoteQpn: a.qpn,
      ird: o.bIrd,
      ord: o.bOrd,
      sendPsn: psn,
      recvPsn: psn
    })
  })

/** A second, unconnected QP pair on the NICs of an existing pair (same PDs, own CQs and buffers). */
const freshPair = (a: Side, b: Side, bufBytes = 512 * 1024) =>
  Effect.gen(function*() {
    const qa = yield* makeSide(a.nic, { pd: a.pd, bufBytes })
    const qb = yield* makeSide(b.nic, { pd: b.pd, bufBytes })
    return { qa, qb }
  })

/** Fills b's buffer with a pattern and posts `count` reads of `size` bytes (contexts 0..count-1) from a. */
const postReads = (qa: Side, qb: Side, count: number, size: number, seed: number): Uint8Array => {
  const data = pattern(count * size, seed)
  qb.nic.memory.write(qb.buf, data)
  const s = new Nic.Sgl(1)
  for (let k = 0; k < count; k++) {
    const off = k * size
    assert.strictEqual(qa.nic.postRead(qa.qpn, k, s.one(qa.buf + off, size, qa.key), 0, qb.buf + off, qb.key), 0)
  }
  return data
}

describe("RC transport fidelity: IRD/ORD", () => {
  it.scoped("a requester exceeding the responder's IRD gets NAK invalid request: REMOTE_INVALID_REQUEST, QP to error", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 512 * 1024 } })
      const { qa, qb } = yield* freshPair(p.a, p.b)
      // a misconfigured pair: a may have 4 reads in flight, b serves only 1
      yield* connectWith(qa, qb, { aIrd: 4, aOrd: 4, bIrd: 1, bOrd: 4 })
      qb.nic.memory.write(qb.buf, pattern(128 * 1024, 5))
      const s = new Nic.Sgl(1)
      assert.strictEqual(qa.nic.postRead(qa.qpn, "r1", s.one(qa.buf, 65536, qa.key), 0, qb.buf, qb.key), 0)
      assert.strictEqual(qa.nic.postRead(qa.qpn, "r2", s.one(qa.buf + 65536, 65536, qa.key), 0, qb.buf, qb.key), 0)
      const c = yield* collect(qa, 2)
      assert.deepStrictEqual(c.map((x) => [x.context, x.status]), [
        ["r1", NicCode.REMOTE_INVALID_REQUEST],
        ["r2", NicCode.FLUSHED]
      ])
      assert.strictEqual(qa.nic.qpState(qa.qpn), Nic.QpState.ERROR)
      assert.strictEqual(qb.nic.qpState(qb.qpn), Nic.QpState.ERROR)
      assert.isAtMost(qb.nic.stats().readSlotsPeak, 1)
    }))

  it.scoped("a requester never exceeds its ORD and the responder holds at most IRD read resources", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 1024 * 1024 } })
      const { qa, qb } = yield* freshPair(p.a, p.b, 1024 * 1024)
      yield* connectWith(qa, qb, { aIrd: 2, aOrd: 2, bIrd: 2, bOrd: 2 })
      const data = postReads(qa, qb, 8, 65536, 11)
      const c = yield* collect(qa, 8)
      assert.deepStrictEqual(
        c.map((x) => [x.context, x.status, x.opcode]),
        [0, 1, 2, 3, 4, 5, 6, 7].map((k) => [k, 0, Opcode.READ])
      )
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf, data.length), data)
      assert.strictEqual(qb.nic.stats().readSlotsPeak, 2)
      assert.strictEqual(qb.nic.stats().readResponses, 8 * 16)
    }))

  it.scoped("ORD = IRD under loss, duplication and reordering: every read succeeds (duplicates never count against IRD)", () =>
    Effect.gen(function*() {
      const p = yield* pair({
        side: { bufBytes: 1024 * 1024 },
        fabric: { seed: 23, latencyUs: 2, faults: { loss: 0.05, duplicate: 0.05, reorder: 0.1, reorderMaxUs: 20 } },
        config: { ackTimeoutUs: 40, retryCount: 60 }
      })
      const { qa, qb } = yield* freshPair(p.a, p.b, 1024 * 1024)
      yield* connectWith(qa, qb, { aIrd: 1, aOrd: 1, bIrd: 1, bOrd: 1 })
      const data = postReads(qa, qb, 16, 20000, 12)
      const c = yield* collect(qa, 16, { steps: 40000 })
      assert.deepStrictEqual(c.map((x) => x.status), new Array(16).fill(0))
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf, data.length), data)
      const f = yield* p.fabric.counters
      assert.isAbove(f.lost + f.duplicated + f.reordered, 0)
      assert.strictEqual(qb.nic.qpState(qb.qpn), Nic.QpState.CONNECTED)
    }))

  it.scoped("ORD 0: a read is refused at the post (INVALID_STATE), nothing queued", () =>
    Effect.gen(function*() {
      const p = yield* pair()
      const { qa, qb } = yield* freshPair(p.a, p.b, 4096)
      yield* connectWith(qa, qb, { aIrd: 2, aOrd: 0, bIrd: 2, bOrd: 0 })
      const s = new Nic.Sgl(1).one(qa.buf, 8, qa.key)
      assert.strictEqual(qa.nic.postRead(qa.qpn, "r", s, 0, qb.buf, qb.key), NicCode.INVALID_STATE)
      assert.strictEqual(qa.nic.workInFlight(qa.qpn)!.requests, 0)
      assert.strictEqual(qa.nic.postWrite(qa.qpn, "w", s, 0, qb.buf, qb.key), 0)
      const c = yield* collect(qa, 1)
      assert.deepStrictEqual([c[0]!.context, c[0]!.status], ["w", 0])
    }))

  it.scoped("IRD 0: every read is an invalid request", () =>
    Effect.gen(function*() {
      const p = yield* pair()
      const { qa, qb } = yield* freshPair(p.a, p.b, 4096)
      yield* connectWith(qa, qb, { aIrd: 0, aOrd: 2, bIrd: 0, bOrd: 2 })
      qa.nic.postRead(qa.qpn, "r", new Nic.Sgl(1).one(qa.buf, 8, qa.key), 0, qb.buf, qb.key)
      const c = yield* collect(qa, 1)
      assert.strictEqual(c[0]!.status, NicCode.REMOTE_INVALID_REQUEST)
    }))
})

describe("RC transport fidelity: partial read re-request", () => {
  it.scoped("a lost read response re-requests only from the first missing response PSN", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 512 * 1024 } })
      const { qa, qb } = yield* freshPair(p.a, p.b)
      yield* connectWith(qa, qb, { aIrd: 4, aOrd: 4, bIrd: 4, bOrd: 4, psn: 100 })
      const data = pattern(65536, 21)
      qb.nic.memory.write(qb.buf, data)
      // the read reserves response PSNs 100..115; lose the 11th response (PSN 110) once
      yield* p.fabric.dropNext({ kind: Fabric.PacketKind.READ_RESPONSE, psn: 110, from: qb.nic.address })
      const before = qb.nic.stats().readResponses
      qa.nic.postRead(qa.qpn, "r", new Nic.Sgl(1).one(qa.buf, 65536, qa.key), 0, qb.buf, qb.key)
      const c = yield* collect(qa, 1)
      assert.strictEqual(c[0]!.status, 0)
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf, 65536), data)
      assert.strictEqual(yield* p.fabric.dropsPending, 0)
      // 16 responses, then PSNs 110..115 again (the requester discards 111..115 after the gap): not all 16
      assert.strictEqual(qb.nic.stats().readResponses - before, 16 + 6)
    }))

  it.scoped("a lost tail response after a timeout re-requests just the tail (multi-SGE sink)", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 512 * 1024 }, config: { ackTimeoutUs: 100 } })
      const { qa, qb } = yield* freshPair(p.a, p.b)
      yield* connectWith(qa, qb, { aIrd: 4, aOrd: 4, bIrd: 4, bOrd: 4 })
      const data = pattern(40000, 22)
      qb.nic.memory.write(qb.buf, data)
      // 10 responses (PSN 0..9); the last one is lost: no gap is seen, the retransmit timer re-requests PSN 9
      yield* p.fabric.dropNext({ kind: Fabric.PacketKind.READ_RESPONSE, psn: 9 })
      const s = new Nic.Sgl(3).set(0, qa.buf, 10000, qa.key).set(1, qa.buf + 20000, 25000, qa.key)
        .set(2, qa.buf + 50000, 5000, qa.key)
      qa.nic.postRead(qa.qpn, "r", s, 0, qb.buf, qb.key)
      const c = yield* collect(qa, 1)
      assert.strictEqual(c[0]!.status, 0)
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf, 10000), data.subarray(0, 10000))
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf + 20000, 25000), data.subarray(10000, 35000))
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf + 50000, 5000), data.subarray(35000))
      assert.strictEqual(qb.nic.stats().readResponses, 11)
      assert.strictEqual(qa.nic.stats().retransmits, 1)
    }))
})

describe("RC transport fidelity: 24-bit PSNs", () => {
  it.prop(
    "unwrapPsn recovers any PSN within 2^23 of the reference from its 24-bit wire value",
    {
      ref: FastCheck.integer({ min: 0, max: 2 ** 40 }),
      delta: FastCheck.integer({ min: -(2 ** 23), max: 2 ** 23 - 1 })
    },
    ({ delta, ref }) => {
      const psn = ref + delta
      if (psn < -1) return
      assert.strictEqual(unwrapPsn(psn & PSN_MASK, ref), psn)
    }
  )

  it.scoped("a starting PSN outside 24 bits is refused", () =>
    Effect.gen(function*() {
      const p = yield* pair()
      const { qa, qb } = yield* freshPair(p.a, p.b, 4096)
      const r = yield* Effect.flip(
        qa.nic.connectQp(qa.qpn, {
          remoteAddress: qb.nic.address,
          remoteQpn: qb.qpn,
          ird: 1,
          ord: 1,
          sendPsn: PSN_SPACE
        })
      )
      assert.strictEqual(r.code, NicCode.INVALID_ARGUMENT)
    }))

  it.scoped("a connection starting near 2^24 wraps: sends, writes and reads cross the wrap under loss", () =>
    Effect.gen(function*() {
      const p = yield* pair({
        side: { bufBytes: 1024 * 1024 },
        fabric: { seed: 5, latencyUs: 1, faults: { loss: 0.04, reorder: 0.05, reorderMaxUs: 5 } },
        config: { ackTimeoutUs: 40, retryCount: 60 }
      })
      const { qa, qb } = yield* freshPair(p.a, p.b, 1024 * 1024)
      yield* connectWith(qa, qb, { aIrd: 4, aOrd: 4, bIrd: 4, bOrd: 4, psn: PSN_SPACE - 6 })
      // the packets carrying wire PSNs 2^24-1 and 1 are lost once each: retransmission crosses the wrap
      yield* p.fabric.dropNext({ kind: Fabric.PacketKind.WRITE, psn: PSN_SPACE - 1 })
      yield* p.fabric.dropNext({ kind: Fabric.PacketKind.WRITE, psn: 1 })
      const s = new Nic.Sgl(1)
      const wdata = pattern(12 * 4096, 31)
      qa.nic.memory.write(qa.buf, wdata)
      // one 48 KiB write: PSNs 2^24-6 .. 2^24+5, wire 0xfffffa .. 5
      assert.strictEqual(qa.nic.postWrite(qa.qpn, "w", s.one(qa.buf, wdata.length, qa.key), 0, qb.buf, qb.key), 0)
      const rdata = pattern(10 * 4096, 32)
      qb.nic.memory.write(qb.buf + 262144, rdata)
      assert.strictEqual(
        qa.nic.postRead(qa.qpn, "r", s.one(qa.buf + 262144, rdata.length, qa.key), 0, qb.buf + 262144, qb.key),
        0
      )
      for (let k = 0; k < 6; k++) qb.nic.postReceive(qb.qpn, k, s.one(qb.buf + 524288 + k * 8192, 8192, qb.key))
      const sdata = pattern(6 * 8192, 33)
      qa.nic.memory.write(qa.buf + 524288, sdata)
      for (let k = 0; k < 6; k++) {
        assert.strictEqual(qa.nic.postSend(qa.qpn, k, s.one(qa.buf + 524288 + k * 8192, 8192, qa.key), 0), 0)
      }
      const ca = yield* collect(qa, 8, { steps: 40000 })
      assert.deepStrictEqual(ca.map((x) => [x.context, x.status]), [
        ["w", 0],
        ["r", 0],
        [0, 0],
        [1, 0],
        [2, 0],
        [3, 0],
        [4, 0],
        [5, 0]
      ])
      const cb = yield* collect(qb, 6, { steps: 40000 })
      assert.deepStrictEqual(cb.map((x) => x.status), [0, 0, 0, 0, 0, 0])
      assert.deepStrictEqual(qb.nic.memory.read(qb.buf, wdata.length), wdata)
      assert.deepStrictEqual(qa.nic.memory.read(qa.buf + 262144, rdata.length), rdata)
      assert.deepStrictEqual(qb.nic.memory.read(qb.buf + 524288, sdata.length), sdata)
      // both targeted drops matched 24-bit wire PSNs (an unwrapped PSN 2^24+1 would never match 1)
      assert.strictEqual(yield* p.fabric.dropsPending, 0)
      assert.isAbove(qa.nic.stats().retransmits + qa.nic.stats().seqNaks + qb.nic.stats().seqNaks, 0)
    }))

  it.scoped("a fault-free link (burst descriptors) crosses the wrap without a retransmission", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 512 * 1024 } })
      const { qa, qb } = yield* freshPair(p.a, p.b)
      yield* connectWith(qa, qb, { aIrd: 4, aOrd: 4, bIrd: 4, bOrd: 4, psn: PSN_SPACE - 100 })
      const data = pattern(65536, 34)
      qa.nic.memory.write(qa.buf, data)
      const s = new Nic.Sgl(1).one(qa.buf, 65536, qa.key)
      let done = 0
      for (let round = 0; round < 4; round++) {
        for (let k = 0; k < 16; k++) assert.strictEqual(qa.nic.postWrite(qa.qpn, k, s, 0, qb.buf + k * 4096, qb.key), 0)
        const c = yield* collect(qa, 16)
        done += c.filter((x) => x.status === 0).length
      }
      assert.strictEqual(done, 64)
      assert.strictEqual(qa.nic.stats().retransmits, 0)
      assert.strictEqual(qb.nic.stats().seqNaks, 0)
    }))
})

describe("work in flight (drain watch)", () => {
  it.scoped("silent writes under loss: in flight until acknowledged; the watch fires once, after the last ACK", () =>
    Effect.gen(function*() {
      const p = yield* pair({
        side: { bufBytes: 512 * 1024 },
        fabric: { seed: 3, latencyUs: 2, faults: { loss: 0.08 } },
        config: { ackTimeoutUs: 50, retryCount: 60 }
      })
      const { a, b } = p
      const data = pattern(8 * 16384, 41)
      a.nic.memory.write(a.buf, data)
      const s = new Nic.Sgl(1)
      for (let k = 0; k < 8; k++) {
        const off = k * 16384
        assert.strictEqual(
          a.nic.postWrite(a.qpn, k, s.one(a.buf + off, 16384, a.key), WrFlag.SILENT, b.buf + off, b.key),
          0
        )
      }
      assert.deepStrictEqual(a.nic.workInFlight(a.qpn), { requests: 8, inbound: false, readResponses: 0 })
      const fired: Array<number> = []
      let inFlightWhenFired: Nic.QpWork | undefined
      assert.strictEqual(
        a.nic.watchDrain(a.qpn, (code) =>
          Effect.sync(() => {
            fired.push(code)
            inFlightWhenFired = a.nic.workInFlight(a.qpn)
          })),
        0
      )
      yield* settle(() => fired.length > 0, { steps: 40000 })
      yield* run(2000)
      assert.deepStrictEqual(fired, [NicCode.QP_DRAINED])
      assert.deepStrictEqual(inFlightWhenFired, { requests: 0, inbound: false, readResponses: 0 })
      assert.deepStrictEqual(b.nic.memory.read(b.buf, data.length), data)
      assert.deepStrictEqual(drain(a), [])
      const f = yield* p.fabric.counters
      assert.isAbove(f.lost, 0)
    }))

  it.scoped("responder side: a partly placed write and pending read responses count as work in flight", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 512 * 1024 }, config: { ackTimeoutUs: 200 } })
      const { qa, qb } = yield* freshPair(p.a, p.b)
      yield* connectWith(qa, qb, { aIrd: 2, aOrd: 2, bIrd: 2, bOrd: 2 })
      // lose the 3rd packet of a 5-packet write: b holds a partly placed message until the retransmission
      yield* p.fabric.dropNext({ kind: Fabric.PacketKind.WRITE, psn: 2 })
      // and its sequence NAK: on a zero-latency link the NAK would bring the retransmission within the same engine
      // turn; without it, recovery waits for the ACK timeout and the partial message stays observable
      yield* p.fabric.dropNext({ kind: Fabric.PacketKind.NAK })
      qa.nic.postWrite(qa.qpn, "w", new Nic.Sgl(1).one(qa.buf, 5 * 4096, qa.key), 0, qb.buf, qb.key)
      yield* settle(() => qb.nic.workInFlight(qb.qpn)!.inbound)
      assert.isTrue(qb.nic.workInFlight(qb.qpn)!.inbound)
      const drained = yield* Effect.fork(qb.nic.awaitDrained(qb.qpn))
      const c = yield* collect(qa, 1)
      assert.strictEqual(c[0]!.status, 0)
      yield* settle(() => drained.unsafePoll() !== null)
      assert.isNotNull(drained.unsafePoll())
      assert.deepStrictEqual(qb.nic.workInFlight(qb.qpn), { requests: 0, inbound: false, readResponses: 0 })
    }))

  it.scoped("flush and destroy end the work in flight: the watch fires; an unknown QP is INVALID_HANDLE", () =>
    Effect.gen(function*() {
      const p = yield* pair({ config: { rnrRetry: 7, rnrTimerUs: 100 } })
      const { a } = p
      // a send the peer never receives (infinite RNR retry): in flight until the flush
      a.nic.postSend(a.qpn, "s", new Nic.Sgl(1).one(a.buf, 64, a.key), WrFlag.SILENT)
      const fired: Array<number> = []
      a.nic.watchDrain(a.qpn, (code) => Effect.sync(() => void fired.push(code)))
      yield* run(3000)
      assert.deepStrictEqual(fired, [])
      assert.strictEqual(a.nic.workInFlight(a.qpn)!.requests, 1)
      a.nic.qpToError(a.qpn)
      yield* settle(() => fired.length > 0)
      assert.deepStrictEqual(fired, [NicCode.QP_DRAINED])
      // the flushed silent send still reports its completion (an error completion)
      assert.deepStrictEqual(drain(a).map((x) => [x.context, x.status]), [["s", NicCode.FLUSHED]])
      assert.strictEqual(a.nic.watchDrain(987654, () => Effect.void), NicCode.INVALID_HANDLE)
      const e = yield* Effect.flip(a.nic.awaitDrained(987654))
      assert.strictEqual(e.code, NicCode.INVALID_HANDLE)
      // a QP with nothing in flight: at once
      yield* a.nic.awaitDrained(a.qpn)
    }))
})

describe("external (caller-buffer) regions at the caller's VA", () => {
  const VA = 0x7000_0000_0000

  it.scoped("register at the VA the caller names; RDMA write and read from the peer; inline send from it", () =>
    Effect.gen(function*() {
      const p = yield* pair({ side: { bufBytes: 256 * 1024 } })
      const { a, b } = p
      // the caller's buffer is a window of a larger allocation: the guards around it must never change
      const backing = new Uint8Array(20000).fill(0xee)
      const buf = backing.subarray(1000, 19000)
      const mr = yield* b.nic.createMr(b.pd)
      const va = yield* b.nic.registerExternal(mr, buf, Access.REMOTE_WRITE | Access.REMOTE_READ, VA)
      assert.strictEqual(va, VA)
      const key = b.nic.mrKey(mr)
      const w = pattern(9000, 51)
      a.nic.memory.write(a.buf, w)
      const s = new Nic.Sgl(1)
      a.nic.postWrite(a.qpn, "w", s.one(a.buf, 9000, a.key), 0, VA + 5000, key)
      const c1 = yield* collect(a, 1)
      assert.strictEqual(c1[0]!.status, 0)
      assert.deepStrictEqual(buf.subarray(5000, 14000), w)
      buf.set(pattern(6000, 52), 12000)
      a.nic.postRead(a.qpn, "r", s.one(a.buf + 65536, 6000, a.key), 0, VA + 12000, key)
      const c2 = yield* collect(a, 1)
      assert.strictEqual(c2[0]!.status, 0)
      assert.deepStrictEqual(a.nic.memory.read(a.buf + 65536, 6000), pattern(6000, 52))
      // out of range by one byte at either end: refused, nothing touched
      const snapshot = backing.slice()
      a.nic.postWrite(a.qpn, "oob", s.one(a.buf, 10, a.key), 0, VA + 18000 - 9, key)
      const c3 = yield* collect(a, 1)
      assert.strictEqual(c3[0]!.status, NicCode.REMOTE_ACCESS_ERROR)
      assert.deepStrictEqual(backing, snapshot)
      // b's own QP: inline send whose payload comes from the external region (through its key and bounds)
      const b2 = yield* makeSide(b.nic, { pd: b.pd, bufBytes: 4096 })
      const a2 = yield* makeSide(a.nic, { pd: a.pd, bufBytes: 4096 })
      yield* connectWith(b2, a2, { aIrd: 1, aOrd: 1, bIrd: 1, bOrd: 1 })
      a2.nic.postReceive(a2.qpn, "rcv", s.one(a2.buf, 64, a2.key))
      assert.strictEqual(b2.nic.postSend(b2.qpn, "i", s.one(VA + 5000, 48, key), WrFlag.INLINE), 0)
      const c4 = yield* collect(a2, 1)
      assert.deepStrictEqual([c4[0]!.status, c4[0]!.bytes], [0, 48])
      assert.deepStrictEqual(a2.nic.memory.read(a2.buf, 48), w.subarray(0, 48))
      // an inline SGE outside the region fails locally
      b2.nic.postSend(b2.qpn, "bad", s.one(VA + 17990, 48, key), WrFlag.INLINE)
      const c5 = yield* collect(b2, 2)
      assert.deepStrictEqual(c5.map((x) => [x.context, x.status]), [["i", 0], ["bad", NicCode.LOCAL_PROTECTION_ERROR]])
      assert.deepStrictEqual(Array.from(backing.subarray(0, 1000)), new Array(1000).fill(0xee))
      assert.deepStrictEqual(Array.from(backing.subarray(19000)), new Array(1000).fill(0xee))
      yield* b.nic.deregisterMr(mr)
    }))

  it.scoped("bad external registrations: VA 0, VA range past 2^53, twice, zero length, NaN", () =>
    Effect.gen(function*() {
      const p = yield* pair()
      const nic = p.b.nic
      const mr = yield* nic.createMr(p.b.pd)
      const code = (e: Effect.Effect<number, Nic.NicError>) => Effect.map(Effect.flip(e), (x) => x.code)
      assert.strictEqual(yield* code(nic.registerExternal(mr, new Uint8Array(8), 0, 0)), NicCode.INVALID_ARGUMENT)
      assert.strictEqual(
        yield* code(nic.registerExternal(mr, new Uint8Array(8), 0, Number.NaN)),
        NicCode.INVALID_ARGUMENT
      )
      assert.strictEqual(
        yield* code(nic.registerExternal(mr, new Uint8Array(8), 0, Number.MAX_SAFE_INTEGER - 4)),
        NicCode.BAD_ADDRESS
      )
      assert.strictEqual(yield* code(nic.registerExternal(mr, new Uint8Array(0), 0, VA)), NicCode.ZERO_LENGTH)
      yield* nic.registerExternal(mr, new Uint8Array(8), 0, VA)
      assert.strictEqual(yield* code(nic.registerExternal(mr, new Uint8Array(8), 0, VA)), NicCode.INVALID_STATE)
      assert.strictEqual(nic.mrKey(mr) > 0, true)
    }))

  const Op = FastCheck.record({
    kind: FastCheck.constantFrom("write", "read"),
    off: FastCheck.integer({ min: -64, max: 12000 }),
    len: FastCheck.integer({ min: 1, max: 6000 }),
    badKey: FastCheck.boolean()
  })

  it.scoped.prop(
    "memory oracle: peer writes and reads change only bytes inside the external region (and valid targets)",
    { ops: FastCheck.array(Op, { minLength: 1, maxLength: 10 }) },
    ({ ops }) =>
      Effect.gen(function*() {
        const p = yield* pair({ side: { bufBytes: 64 * 1024 } })
        const { a, b } = p
        const SIZE = 10000
        const backing = new Uint8Array(SIZE + 512)
        for (let i = 0; i < backing.length; i++) backing[i] = (i * 31) & 0xff
        const region = backing.subarray(256, 256 + SIZE)
        const model = backing.slice()
        const mr = yield* b.nic.createMr(b.pd)
        yield* b.nic.registerExternal(mr, region, Access.REMOTE_WRITE | Access.REMOTE_READ, VA)
        const key = b.nic.mrKey(mr)
        const arenaB = b.nic.memory.read(b.nic.memory.base, b.nic.memory.size)
        const s = new Nic.Sgl(1)
        let qa = a
        for (const op of ops) {
          qa = yield* makeSide(a.nic, { pd: a.pd, bufBytes: 64 })
          const qb = yield* makeSide(b.nic, { pd: b.pd, bufBytes: 64 })
          yield* connectWith(qa, qb, { aIrd: 2, aOrd: 2, bIrd: 2, bOrd: 2 })
          const valid = !op.badKey && op.off >= 0 && op.off + op.len <= SIZE
          const src = pattern(op.len, op.off + 7)
          a.nic.memory.write(a.buf, src)
          a.nic.memory.fill(a.buf + 32768, op.len, 0)
          const k = op.badKey ? (key ^ 0x100) >>> 0 : key
          if (op.kind === "write") qa.nic.postWrite(qa.qpn, 0, s.one(a.buf, op.len, a.key), 0, VA + op.off, k)
          else qa.nic.postRead(qa.qpn, 0, s.one(a.buf + 32768, op.len, a.key), 0, VA + op.off, k)
          const qaNow = qa
          yield* settle(() => qaNow.nic.cqCount(qaNow.cq) > 0)
          const c = drain(qa)
          assert.strictEqual(c[0]!.status === 0, valid)
          if (valid && op.kind === "write") model.set(src, 256 + op.off)
          if (valid && op.kind === "read") {
            assert.deepStrictEqual(
              a.nic.memory.read(a.buf + 32768, op.len),
              model.subarray(256 + op.off, 256 + op.off + op.len)
            )
          }
          assert.deepStrictEqual(backing, model)
        }
        assert.deepStrictEqual(b.nic.memory.read(b.nic.memory.base, b.nic.memory.size), arenaB)
      }),
    { fastCheck: { numRuns: 15 } }
  )
})
