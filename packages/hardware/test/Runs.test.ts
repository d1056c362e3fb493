/**
 * The engine's fast paths on a fault-free zero-latency link, driven pass by pass on the synchronous core (no
 * Effect driver, no clock): single-packet messages travel as run descriptors, a write burst is placed with one
 * copy. Each case checks that the result is the one separate packets would give.
 */
import { describe, expect, it } from "@effect/vitest"
import type { FabricCore } from "../src/internal/fabric.js"
import type { SglLike } from "../src/internal/nic.js"
import { NicCore, OP_READ, OP_RECV, OP_SEND, OP_WRITE } from "../src/internal/nic.js"
import { defaultConfig } from "../src/Nic.js"
import { NicCode } from "../src/NicCode.js"
import { quietFabric, results, sgl } from "./core.js"

const BUF = 1 << 20

const makeSide = (fabric: FabricCore, address: number, depth: number) => {
  const nic = new NicCore(fabric, fabric.nextPortIndex(), address, {
    ...defaultConfig,
    hostMemoryBytes: 4 * BUF,
    deviceMemoryBytes: BUF
  })
  fabric.attach(nic)
  const pd = nic.allocPd()
  const cq = nic.createCq(4096, undefined)
  const rcq = nic.createCq(4096, undefined)
  const qpn = nic.createQp(pd, cq, rcq, -1, depth, depth, 1, 1, 0)
  const buf = nic.host.alloc(BUF, 4096)
  const mr = nic.createMr(pd, false)
  expect(nic.registerMr(mr, buf, BUF, 0xf)).toBe(0)
  return { nic, pd, cq, rcq, qpn, buf, mr, key: nic.validKey(mr) }
}

const setup = (depth = 64) => {
  const fabric = quietFabric({ seed: 7, memoryBytes: 16 * BUF, trace: true, now: () => 0, wasm: true })
  const a = makeSide(fabric, 1, depth)
  const b = makeSide(fabric, 2, depth)
  expect(a.nic.connectQp(a.qpn, 2, b.qpn, 4, 4, 0, 0)).toBe(0)
  expect(b.nic.connectQp(b.qpn, 1, a.qpn, 4, 4, 0, 0)).toBe(0)
  return { fabric, a, b }
}

/** Host bytes of a side at `va`. */
const bytes = (s: ReturnType<typeof makeSide>, va: number, len: number) => {
  const p = s.nic.hostPhys(va)
  return s.nic.fabric.phys.bytes.slice(p, p + len)
}

const fill = (s: ReturnType<typeof makeSide>, va: number, len: number, seed: number) => {
  const p = s.nic.hostPhys(va)
  for (let i = 0; i < len; i++) s.nic.fabric.phys.bytes[p + i] = (seed * 31 + i * 7) & 0xff
}

const drain = (...nics: Array<NicCore>) => {
  for (let k = 0; k < 1000; k++) {
    let more = false
    for (const n of nics) if (n.pass()) more = true
    if (!more && nics.every((n) => n.inbound.count === 0)) return
  }
  throw new Error("engines did not settle")
}

describe("run descriptors (fault-free zero-latency link)", () => {
  it("a batch of sends and writes goes as one descriptor; each message lands intact, completions in order", () => {
    const { a, b, fabric } = setup()
    const n = 40
    for (let k = 0; k < n; k++) {
      expect(b.nic.postReceive(b.qpn, `r${k}`, sgl(b.buf + k * 256, 256, b.key))).toBe(0)
    }
    for (let k = 0; k < n; k++) {
      const len = 1 + k * 6
      fill(a, a.buf + k * 256, len, k)
      const rc = k % 3 === 2
        ? a.nic.postData(
          a.qpn,
          OP_WRITE,
          `s${k}`,
          sgl(a.buf + k * 256, len, a.key),
          0,
          b.buf + 65536 + k * 256,
          b.key,
          0
        )
        : a.nic.postData(a.qpn, OP_SEND, `s${k}`, sgl(a.buf + k * 256, len, a.key), 0, 0, 0, 0)
      expect(rc).toBe(0)
    }
    const sentBefore = fabric.counters.sent
    a.nic.pass()
    // one descriptor on the wire for the whole batch, counted as `n` packets
    expect(b.nic.inbound.count).toBe(1)
    expect(a.nic.counters.packetsOut).toBe(n)
    expect(fabric.counters.sent - sentBefore).toBe(n)
    drain(a.nic, b.nic)
    const out = results(64)
    expect(a.nic.pollCq(a.cq, 64, out)).toBe(n)
    for (let k = 0; k < n; k++) {
      expect(out.status[k]).toBe(0)
      expect(out.context[k]).toBe(`s${k}`)
      expect(out.opcode[k]).toBe(k % 3 === 2 ? OP_WRITE : OP_SEND)
      expect(out.bytes[k]).toBe(1 + k * 6)
    }
    const sends = Array.from({ length: n }, (_, k) => k).filter((k) => k % 3 !== 2)
    expect(b.nic.pollCq(b.rcq, 64, out)).toBe(sends.length)
    sends.forEach((k, j) => {
      expect(out.status[j]).toBe(0)
      expect(out.opcode[j]).toBe(OP_RECV)
      expect(out.context[j]).toBe(`r${j}`)
      expect(out.bytes[j]).toBe(1 + k * 6)
      expect(bytes(b, b.buf + j * 256, 1 + k * 6)).toEqual(bytes(a, a.buf + k * 256, 1 + k * 6))
    })
    for (let k = 2; k < n; k += 3) {
      expect(bytes(b, b.buf + 65536 + k * 256, 1 + k * 6)).toEqual(bytes(a, a.buf + k * 256, 1 + k * 6))
    }
    expect(b.nic.counters.packetsIn).toBe(n)
  })

  it("a sender QP flushed (and its slots reused) while its run is in flight: the rest of the run is dropped", () => {
    const { a, b } = setup(8)
    for (let k = 0; k < 8; k++) expect(b.nic.postReceive(b.qpn, k, sgl(b.buf + k * 64, 64, b.key))).toBe(0)
    fill(a, a.buf, 64, 1)
    for (let k = 0; k < 8; k++) expect(a.nic.postData(a.qpn, OP_SEND, k, sgl(a.buf, 64, a.key), 0, 0, 0, 0)).toBe(0)
    a.nic.pass()
    expect(b.nic.inbound.count).toBe(1)
    expect(a.nic.qpToError(a.qpn)).toBe(0)
    // the flushed slots are posted again (they complete FLUSHED at once) with other data
    fill(a, a.buf + 4096, 64, 2)
    for (let k = 0; k < 8; k++) a.nic.postData(a.qpn, OP_SEND, k, sgl(a.buf + 4096, 64, a.key), 0, 0, 0, 0)
    drain(a.nic, b.nic)
    const out = results(32)
    expect(b.nic.pollCq(b.rcq, 32, out)).toBe(0)
    expect(bytes(b, b.buf, 8 * 64).every((x) => x === 0)).toBe(true)
    const n = a.nic.pollCq(a.cq, 32, out)
    expect(n).toBe(16)
    for (let k = 0; k < n; k++) expect(out.status[k]).toBe(NicCode.FLUSHED)
  })

  it("a source region deregistered while the run is in flight: its messages are dropped unread, nothing is acked", () => {
    const { a, b } = setup(8)
    for (let k = 0; k < 4; k++) expect(b.nic.postReceive(b.qpn, k, sgl(b.buf + k * 64, 64, b.key))).toBe(0)
    for (let k = 0; k < 4; k++) expect(a.nic.postData(a.qpn, OP_SEND, k, sgl(a.buf, 64, a.key), 0, 0, 0, 0)).toBe(0)
    a.nic.pass()
    expect(a.nic.deregisterMr(a.mr)).toBe(0)
    b.nic.pass()
    const out = results(8)
    expect(b.nic.pollCq(b.rcq, 8, out)).toBe(0)
    expect(bytes(b, b.buf, 4 * 64).every((x) => x === 0)).toBe(true)
    // every packet of the run was dropped like a corrupted one: no NAK, no ACK (the requester's timer resends)
    expect(b.nic.counters.seqNaks).toBe(0)
    drain(a.nic, b.nic)
    expect(a.nic.pollCq(a.cq, 8, out)).toBe(0)
    expect(b.nic.qp(b.qpn)!.ePsn).toBe(0)
  })

  it("a message dropped in the middle of a run: the ones before it land, the ones after it are NAKed as a gap", () => {
    const { a, b } = setup(8)
    const buf2 = a.nic.host.alloc(4096, 4096)
    const mr2 = a.nic.createMr(a.pd, false)
    expect(a.nic.registerMr(mr2, buf2, 4096, 0xf)).toBe(0)
    const key2 = a.nic.validKey(mr2)
    for (let k = 0; k < 4; k++) expect(b.nic.postReceive(b.qpn, k, sgl(b.buf + k * 64, 64, b.key))).toBe(0)
    fill(a, a.buf, 64, 3)
    const from = [a.buf, a.buf, buf2, a.buf]
    const keys = [a.key, a.key, key2, a.key]
    for (let k = 0; k < 4; k++) {
      expect(a.nic.postData(a.qpn, OP_SEND, k, sgl(from[k]!, 64, keys[k]!), 0, 0, 0, 0)).toBe(0)
    }
    a.nic.pass()
    expect(a.nic.deregisterMr(mr2)).toBe(0)
    b.nic.pass()
    const out = results(8)
    expect(b.nic.pollCq(b.rcq, 8, out)).toBe(2)
    expect(b.nic.counters.seqNaks).toBe(1)
    expect(b.nic.qp(b.qpn)!.ePsn).toBe(2)
    a.nic.pass()
    // the NAK acknowledges the two that landed; the requester goes back to the third
    expect(a.nic.pollCq(a.cq, 8, out)).toBe(2)
    expect(out.status[0]).toBe(0)
    expect(out.status[1]).toBe(0)
  })

  it("a lone single-packet message followed by a WQE that cannot join a run keeps its own kind and source", () => {
    const { a, b } = setup(8)
    fill(a, a.buf, 64, 5)
    fill(b, b.buf + 8192, 64, 6)
    // a WRITE, then a READ (not a run member): the WRITE goes alone and must stay a WRITE
    expect(a.nic.postData(a.qpn, OP_WRITE, "w", sgl(a.buf, 64, a.key), 0, b.buf + 4096, b.key, 0)).toBe(0)
    expect(a.nic.postData(a.qpn, OP_READ, "r", sgl(a.buf + 4096, 64, a.key), 0, b.buf + 8192, b.key, 0)).toBe(0)
    // a SEND, then a SEND whose local key is bad (stops the run): the first goes alone from its own buffer
    expect(b.nic.postReceive(b.qpn, "rv", sgl(b.buf, 64, b.key))).toBe(0)
    expect(a.nic.postData(a.qpn, OP_SEND, "s", sgl(a.buf, 64, a.key), 0, 0, 0, 0)).toBe(0)
    expect(a.nic.postData(a.qpn, OP_SEND, "bad", sgl(a.buf + 128, 64, a.key ^ 0x55), 0, 0, 0, 0)).toBe(0)
    drain(a.nic, b.nic)
    expect(bytes(b, b.buf + 4096, 64)).toEqual(bytes(a, a.buf, 64))
    expect(bytes(a, a.buf + 4096, 64)).toEqual(bytes(b, b.buf + 8192, 64))
    expect(bytes(b, b.buf, 64)).toEqual(bytes(a, a.buf, 64))
    const out = results(8)
    expect(b.nic.pollCq(b.rcq, 8, out)).toBe(1)
    expect(out.context[0]).toBe("rv")
    expect(out.bytes[0]).toBe(64)
    expect(a.nic.pollCq(a.cq, 8, out)).toBe(4)
    expect(Array.from(out.context.slice(0, 4))).toEqual(["w", "r", "s", "bad"])
    expect(Array.from(out.status.slice(0, 3))).toEqual([0, 0, 0])
    expect(out.status[3]).toBe(NicCode.LOCAL_PROTECTION_ERROR)
  })

  it("a write burst of many MTUs lands whole; a single-packet message after it goes on its own", () => {
    const { a, b } = setup()
    const len = 5 * 4096 + 123
    fill(a, a.buf, len, 9)
    expect(a.nic.postData(a.qpn, OP_WRITE, "w", sgl(a.buf, len, a.key), 0, b.buf + 8192, b.key, 0)).toBe(0)
    drain(a.nic, b.nic)
    expect(bytes(b, b.buf + 8192, len)).toEqual(bytes(a, a.buf, len))
    const out = results(8)
    expect(a.nic.pollCq(a.cq, 8, out)).toBe(1)
    expect(out.status[0]).toBe(0)
    expect(b.nic.postReceive(b.qpn, "r", sgl(b.buf, 64, b.key))).toBe(0)
    expect(a.nic.postData(a.qpn, OP_SEND, "s", sgl(a.buf, 64, a.key), 0, 0, 0, 0)).toBe(0)
    a.nic.pass()
    expect(b.nic.inbound.count).toBe(1)
    drain(a.nic, b.nic)
    expect(b.nic.pollCq(b.rcq, 8, out)).toBe(1)
    expect(out.bytes[0]).toBe(64)
    expect(bytes(b, b.buf, 64)).toEqual(bytes(a, a.buf, 64))
  })
})

describe("checked-key caches, NIC-wide records, block polls", () => {
  it("R110/R111: a local key cached by earlier messages fails once its MR is deregistered (sender and receiver)", () => {
    // sender side: the key passed its check (and was cached) for the first send; after the deregistration the
    // second send must not read the region
    const s = setup(8)
    expect(s.b.nic.postReceive(s.b.qpn, "r0", sgl(s.b.buf, 64, s.b.key))).toBe(0)
    expect(s.a.nic.postData(s.a.qpn, OP_SEND, "s0", sgl(s.a.buf, 64, s.a.key), 0, 0, 0, 0)).toBe(0)
    drain(s.a.nic, s.b.nic)
    expect(s.a.nic.deregisterMr(s.a.mr)).toBe(0)
    expect(s.b.nic.postReceive(s.b.qpn, "r1", sgl(s.b.buf + 64, 64, s.b.key))).toBe(0)
    expect(s.a.nic.postData(s.a.qpn, OP_SEND, "s1", sgl(s.a.buf, 64, s.a.key), 0, 0, 0, 0)).toBe(0)
    drain(s.a.nic, s.b.nic)
    const out = results(8)
    expect(s.a.nic.pollCq(s.a.cq, 8, out)).toBe(2)
    expect(out.status[0]).toBe(0)
    expect(out.status[1]).toBe(NicCode.LOCAL_PROTECTION_ERROR)
    // receiver side: the receive key was cached by the first message; the receive posted after the deregistration
    // carries the stale key and must not be written
    const t = setup(8)
    fill(t.a, t.a.buf, 128, 5)
    expect(t.b.nic.postReceive(t.b.qpn, "r0", sgl(t.b.buf, 64, t.b.key))).toBe(0)
    expect(t.a.nic.postData(t.a.qpn, OP_SEND, "s0", sgl(t.a.buf, 64, t.a.key), 0, 0, 0, 0)).toBe(0)
    drain(t.a.nic, t.b.nic)
    expect(t.b.nic.deregisterMr(t.b.mr)).toBe(0)
    expect(t.b.nic.postReceive(t.b.qpn, "r1", sgl(t.b.buf + 64, 64, t.b.key))).toBe(0)
    expect(t.a.nic.postData(t.a.qpn, OP_SEND, "s1", sgl(t.a.buf + 64, 64, t.a.key), 0, 0, 0, 0)).toBe(0)
    drain(t.a.nic, t.b.nic)
    expect(t.b.nic.pollCq(t.b.rcq, 8, out)).toBe(2)
    expect(out.status[0]).toBe(0)
    expect(out.status[1]).toBe(NicCode.LOCAL_PROTECTION_ERROR)
    expect(bytes(t.b, t.b.buf + 64, 64).every((x) => x === 0)).toBe(true)
    expect(t.a.nic.pollCq(t.a.cq, 8, out)).toBe(2)
    expect(out.status[1]).toBe(NicCode.REMOTE_OPERATION_ERROR)
  })

  it("R100: a remote key cached by an earlier write fails once its MR is re-registered", () => {
    const { a, b } = setup(8)
    fill(a, a.buf, 64, 6)
    expect(a.nic.postData(a.qpn, OP_WRITE, "w0", sgl(a.buf, 64, a.key), 0, b.buf, b.key, 0)).toBe(0)
    drain(a.nic, b.nic)
    expect(b.nic.deregisterMr(b.mr)).toBe(0)
    expect(b.nic.registerMr(b.mr, b.buf, BUF, 0xf)).toBe(0)
    expect(b.nic.validKey(b.mr)).not.toBe(b.key)
    expect(a.nic.postData(a.qpn, OP_WRITE, "w1", sgl(a.buf, 64, a.key), 0, b.buf + 64, b.key, 0)).toBe(0)
    drain(a.nic, b.nic)
    const out = results(8)
    expect(a.nic.pollCq(a.cq, 8, out)).toBe(2)
    expect(out.status[0]).toBe(0)
    expect(out.status[1]).toBe(NicCode.REMOTE_ACCESS_ERROR)
    expect(bytes(b, b.buf + 64, 64).every((x) => x === 0)).toBe(true)
  })

  it("a QP created in a destroyed QP's record block starts clean; a widened SGE area moves its records", () => {
    const { a, b } = setup(8)
    // leave work behind in the old QP's records, then destroy both ends
    for (let k = 0; k < 4; k++) a.nic.postData(a.qpn, OP_SEND, k, sgl(a.buf, 64, a.key), 0, 0, 0, 0)
    const oldWo = a.nic.qp(a.qpn)!.wo
    expect(a.nic.destroyQp(a.qpn)).toBe(0)
    expect(b.nic.destroyQp(b.qpn)).toBe(0)
    const qa = a.nic.createQp(a.pd, a.cq, a.rcq, -1, 8, 8, 1, 1, 0)
    const qb = b.nic.createQp(b.pd, b.cq, b.rcq, -1, 8, 8, 1, 1, 0)
    expect(a.nic.qp(qa)!.wo).toBe(oldWo)
    expect(a.nic.connectQp(qa, 2, qb, 4, 4, 0, 0)).toBe(0)
    expect(b.nic.connectQp(qb, 1, qa, 4, 4, 0, 0)).toBe(0)
    // a read with three SGEs on a QP of one send SGE widens its SGE area (the records move)
    fill(b, b.buf + 4096, 300, 8)
    const three: SglLike = {
      count: 3,
      addr: Float64Array.of(a.buf + 8192, a.buf + 12288, a.buf + 16384),
      len: Float64Array.of(100, 100, 100),
      key: Uint32Array.of(a.key, a.key, a.key)
    }
    expect(a.nic.postData(qa, OP_READ, "rd", three, 0, b.buf + 4096, b.key, 0)).toBe(0)
    fill(a, a.buf, 64, 4)
    expect(b.nic.postReceive(qb, "r", sgl(b.buf, 64, b.key))).toBe(0)
    expect(a.nic.postData(qa, OP_SEND, "s", sgl(a.buf, 64, a.key), 0, 0, 0, 0)).toBe(0)
    drain(a.nic, b.nic)
    const out = results(16)
    const n = a.nic.pollCq(a.cq, 16, out)
    // the old QP's four WQEs were flushed by the destroy (no completion: the QP is gone); the new QP's two complete
    expect(Array.from(out.context.slice(0, n))).toEqual(["rd", "s"])
    expect(Array.from(out.status.slice(0, n))).toEqual([0, 0])
    for (let k = 0; k < 3; k++) {
      expect(bytes(a, a.buf + 8192 + k * 4096, 100)).toEqual(bytes(b, b.buf + 4096 + k * 100, 100))
    }
    expect(b.nic.pollCq(b.rcq, 16, out)).toBe(1)
    expect(out.context[0]).toBe("r")
    expect(bytes(b, b.buf, 64)).toEqual(bytes(a, a.buf, 64))
  })

  it("a poll of many CQEs across the ring's wrap returns them in order, contexts released", () => {
    const { a, b } = setup(64)
    const cq = a.nic.createCq(64, undefined)
    const rcq = a.nic.createCq(64, undefined)
    const qa = a.nic.createQp(a.pd, cq, rcq, -1, 64, 8, 1, 1, 0)
    const qb = b.nic.createQp(b.pd, b.cq, b.rcq, -1, 8, 64, 1, 1, 0)
    expect(a.nic.connectQp(qa, 2, qb, 4, 4, 0, 0)).toBe(0)
    expect(b.nic.connectQp(qb, 1, qa, 4, 4, 0, 0)).toBe(0)
    const out = results(64)
    let next = 0
    const round = (count: number, take: number) => {
      for (let k = 0; k < count; k++) {
        expect(b.nic.postReceive(qb, k, sgl(b.buf + k * 64, 64, b.key))).toBe(0)
        expect(a.nic.postData(qa, OP_SEND, `s${next + k}`, sgl(a.buf, 64, a.key), 0, 0, 0, 0)).toBe(0)
      }
      drain(a.nic, b.nic)
      expect(a.nic.pollCq(cq, take, out)).toBe(count)
      for (let k = 0; k < count; k++) {
        expect(out.status[k]).toBe(0)
        expect(out.context[k]).toBe(`s${next + k}`)
        expect(out.opcode[k]).toBe(OP_SEND)
        expect(out.bytes[k]).toBe(64)
      }
      next += count
      expect(b.nic.pollCq(b.rcq, 64, out)).toBe(count)
    }
    round(40, 40) // head moves to 40
    round(40, 64) // entries 40..63 then 0..15: one poll, two blocks
    round(50, 64)
    expect(a.nic.cq(cq)!.ctx.every((c) => c === undefined)).toBe(true)
  })
})

describe("chains (one transmit for the records a pass sends to one port)", () => {
  /** `n` connected QP pairs on the sides of `setup` (the first is the setup's own pair). */
  const pairs = (n: number) => {
    const env = setup(16)
    const { a, b } = env
    const qps: Array<[number, number]> = [[a.qpn, b.qpn]]
    for (let k = 1; k < n; k++) {
      const qa = a.nic.createQp(a.pd, a.cq, a.rcq, -1, 16, 16, 1, 1, 0)
      const qb = b.nic.createQp(b.pd, b.cq, b.rcq, -1, 16, 16, 1, 1, 0)
      expect(a.nic.connectQp(qa, 2, qb, 4, 4, 0, 0)).toBe(0)
      expect(b.nic.connectQp(qb, 1, qa, 4, 4, 0, 0)).toBe(0)
      qps.push([qa, qb])
    }
    return { ...env, qps }
  }

  it("runs and ACKs of many QPs travel chained: every message lands intact, each QP completes in order", () => {
    const { a, b, fabric, qps } = pairs(24)
    const per = 3
    const live = fabric.pk.live
    qps.forEach(([qa, qb], q) => {
      for (let k = 0; k < per; k++) {
        const slot = q * per + k
        expect(b.nic.postReceive(qb, `r${q}.${k}`, sgl(b.buf + slot * 128, 128, b.key))).toBe(0)
        fill(a, a.buf + slot * 128, 32 + k, slot)
        expect(a.nic.postData(qa, OP_SEND, `s${q}.${k}`, sgl(a.buf + slot * 128, 32 + k, a.key), 0, 0, 0, 0)).toBe(0)
      }
    })
    // count the fabric's transmit calls: chained, far fewer than QPs (a packet per QP each way without chains)
    let transmits = 0
    const transmit = fabric.transmit.bind(fabric)
    fabric.transmit = (i) => {
      transmits++
      transmit(i)
    }
    drain(a.nic, b.nic)
    expect(transmits).toBeLessThan(qps.length)
    const sent = results(4096)
    const got = results(4096)
    const ns = a.nic.pollCq(a.cq, 4096, sent)
    const nr = b.nic.pollCq(b.rcq, 4096, got)
    expect(ns).toBe(qps.length * per)
    expect(nr).toBe(qps.length * per)
    const order = (out: typeof sent, n: number) => {
      const byQp = new Map<number, Array<unknown>>()
      for (let i = 0; i < n; i++) {
        expect(out.status[i]).toBe(0)
        byQp.set(out.qpn[i]!, [...(byQp.get(out.qpn[i]!) ?? []), out.context[i]])
      }
      return byQp
    }
    const sends = order(sent, ns)
    const recvs = order(got, nr)
    qps.forEach(([qa, qb], q) => {
      expect(sends.get(qa)).toEqual([0, 1, 2].map((k) => `s${q}.${k}`))
      expect(recvs.get(qb)).toEqual([0, 1, 2].map((k) => `r${q}.${k}`))
      for (let k = 0; k < per; k++) {
        const slot = q * per + k
        expect(bytes(b, b.buf + slot * 128, 32 + k)).toEqual(bytes(a, a.buf + slot * 128, 32 + k))
      }
    })
    // every packet record (runs, ACKs, chain links) went back to the pool
    expect(fabric.pk.live).toBe(live)
  })

  it("a chain to a port that is gone is dropped whole: every record goes back to the pool", () => {
    const { a, b, fabric, qps } = pairs(8)
    const live = fabric.pk.live
    fabric.detach(b.nic)
    for (const [qa] of qps) {
      expect(a.nic.postData(qa, OP_SEND, "s", sgl(a.buf, 16, a.key), 0, 0, 0, 0)).toBe(0)
    }
    a.nic.pass()
    expect(fabric.counters.blocked).toBeGreaterThan(0)
    expect(fabric.pk.live).toBe(live)
  })
})
