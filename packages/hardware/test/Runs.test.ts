/**
 * The engine's fast paths on a fault-free zero-latency link, driven pass by pass on the synchronous core (no
 * Effect driver, no clock): single-packet messages travel as run descriptors, a write burst is placed with one
 * copy. Each case checks that the result is the one separate packets would give.
 */
import { describe, expect, it } from "@effect/vitest"
import { FabricCore } from "../src/internal/fabric.js"
import { NicCore, OP_READ, OP_RECV, OP_SEND, OP_WRITE } from "../src/internal/nic.js"
import { defaultConfig } from "../src/Nic.js"
import { NicCode } from "../src/NicCode.js"
import { results, sgl } from "./core.js"

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
  const fabric = new FabricCore({
    seed: 7,
    memoryBytes: 16 * BUF,
    link: { latencyUs: 0, bandwidthGbps: 0, mtu: 4096 },
    faults: { loss: 0, duplicate: 0, reorder: 0, reorderMaxUs: 10, corrupt: 0 },
    trace: true,
    now: () => 0,
    wasm: true
  })
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
