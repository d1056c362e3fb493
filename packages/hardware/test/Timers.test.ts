/**
 * The engine's timer requests on the synchronous core (no Effect driver; the clock is a variable): one sleeper is
 * pending at a time, a late sleeper starts no duplicates, an early one is re-requested.
 */
import { describe, expect, it } from "@effect/vitest"
import { NicCore, OP_SEND } from "../src/internal/nic.js"
import { defaultConfig } from "../src/Nic.js"
import { quietFabric, results, sgl } from "./core.js"

const BUF = 1 << 16

const setup = () => {
  const clock = { now: 0 }
  const fabric = quietFabric({ seed: 3, memoryBytes: 16 * BUF, trace: false, now: () => clock.now, wasm: false })
  const side = (address: number) => {
    const nic = new NicCore(fabric, fabric.nextPortIndex(), address, {
      ...defaultConfig,
      hostMemoryBytes: 4 * BUF,
      deviceMemoryBytes: BUF
    })
    fabric.attach(nic)
    const sleepers: Array<number> = []
    nic.schedule = (at) => void sleepers.push(at)
    const pd = nic.allocPd()
    const cq = nic.createCq(256, undefined)
    const qpn = nic.createQp(pd, cq, cq, -1, 64, 64, 1, 1, 0)
    const buf = nic.host.alloc(BUF, 4096)
    const mr = nic.createMr(pd, false)
    expect(nic.registerMr(mr, buf, BUF, 0xf)).toBe(0)
    return { nic, cq, qpn, buf, key: nic.validKey(mr), sleepers }
  }
  const a = side(1)
  const b = side(2)
  expect(a.nic.connectQp(a.qpn, 2, b.qpn, 4, 4, 0, 0)).toBe(0)
  expect(b.nic.connectQp(b.qpn, 1, a.qpn, 4, 4, 0, 0)).toBe(0)
  return { clock, a, b }
}

type Setup = ReturnType<typeof setup>

/** One message a → b (receive posted first), both engines run until quiet. */
const exchange = ({ a, b }: Setup, k: number) => {
  expect(b.nic.postReceive(b.qpn, `r${k}`, sgl(b.buf, 8, b.key))).toBe(0)
  expect(a.nic.postData(a.qpn, OP_SEND, `s${k}`, sgl(a.buf, 8, a.key), 0, 0, 0, 0)).toBe(0)
  for (let i = 0; i < 10; i++) {
    a.nic.pass()
    b.nic.pass()
  }
  const out = results(8)
  expect(a.nic.pollCq(a.cq, 8, out)).toBe(1)
  expect(out.status[0]).toBe(0)
  expect(b.nic.pollCq(b.cq, 8, out)).toBe(1)
}

describe("engine timers", () => {
  it("one sleeper for many sends; a late sleeper (deadline passed, not fired yet) starts no duplicate", () => {
    const s = setup()
    const timeout = defaultConfig.ackTimeoutUs / 1000
    exchange(s, 0)
    expect(s.a.sleepers).toEqual([timeout])
    for (let k = 1; k < 20; k++) exchange(s, k)
    expect(s.a.sleepers.length).toBe(1)
    // the deadline passes but the sleeper has not fired (the event loop is busy): sends go on
    s.clock.now = 3 * timeout
    for (let k = 20; k < 40; k++) exchange(s, k)
    expect(s.a.sleepers.length).toBe(1)
    // it fires: the next pass runs the timers; the ACKed QP needs no timer, the next send requests a new sleeper
    s.a.nic.timerFired(timeout)
    s.a.nic.pass()
    exchange(s, 40)
    expect(s.a.sleepers).toEqual([timeout, 4 * timeout])
  })

  it("a sleeper that fires before its deadline is requested again by the next pass", () => {
    const s = setup()
    const timeout = defaultConfig.ackTimeoutUs / 1000
    // the receiver's engine does not run: no ACK comes, the send's ACK timer stays armed
    expect(s.a.nic.postData(s.a.qpn, OP_SEND, "s", sgl(s.a.buf, 8, s.a.key), 0, 0, 0, 0)).toBe(0)
    s.a.nic.pass()
    expect(s.a.sleepers).toEqual([timeout])
    s.clock.now = timeout / 2
    s.a.nic.timerFired(timeout)
    s.a.nic.pass()
    expect(s.a.sleepers).toEqual([timeout, timeout])
  })
})
