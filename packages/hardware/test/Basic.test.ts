import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Nic from "../src/Nic.js"
import { NicCode, Opcode } from "../src/NicCode.js"
import { collect, pair, pattern } from "./helpers.js"

describe("basic transfers", () => {
  it.scoped("send/receive delivers bytes and byte count", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const data = pattern(10000, 7)
      a.nic.memory.write(a.buf, data)
      const sgl = new Nic.Sgl(4)
      assert.strictEqual(b.nic.postReceive(b.qpn, "r1", sgl.one(b.buf, 20000, b.key)), 0)
      assert.strictEqual(a.nic.postSend(a.qpn, "s1", sgl.one(a.buf, 10000, a.key), 0), 0)
      const ca = yield* collect(a, 1)
      const cb = yield* collect(b, 1)
      assert.deepStrictEqual(ca.map((c) => [c.status, c.opcode, c.context]), [[0, Opcode.SEND, "s1"]])
      assert.deepStrictEqual(cb.map((c) => [c.status, c.opcode, c.context, c.bytes]), [[
        0,
        Opcode.RECEIVE,
        "r1",
        10000
      ]])
      assert.deepStrictEqual(b.nic.memory.read(b.buf, 10000), data)
    }))

  it.scoped("write then read round trip", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const data = pattern(50000, 3)
      a.nic.memory.write(a.buf, data)
      const sgl = new Nic.Sgl(4)
      assert.strictEqual(a.nic.postWrite(a.qpn, 1, sgl.one(a.buf, 50000, a.key), 0, b.buf + 100, b.key), 0)
      assert.strictEqual(a.nic.postRead(a.qpn, 2, sgl.one(a.buf + 60000, 50000, a.key), 0, b.buf + 100, b.key), 0)
      const ca = yield* collect(a, 2)
      assert.deepStrictEqual(ca.map((c) => [c.status, c.opcode, c.context]), [[0, Opcode.WRITE, 1], [
        0,
        Opcode.READ,
        2
      ]])
      assert.deepStrictEqual(b.nic.memory.read(b.buf + 100, 50000), data)
      assert.deepStrictEqual(a.nic.memory.read(a.buf + 60000, 50000), data)
      assert.strictEqual(NicCode.OK, 0)
    }))
})
