import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import * as Nic from "../src/Nic.js"
import { Access } from "../src/NicCode.js"
import { connect, makeSide, pair, settle } from "./helpers.js"

/**
 * Memory oracle: snapshot both arenas, run random valid and invalid work, then every byte that changed must lie
 * inside the target range of a *valid* operation (receive buffer of a valid send, remote-writable range of a valid
 * write, local sink of a valid read) — and valid operations must have placed exactly the source bytes.
 */
const Variant = FastCheck.constantFrom("valid", "badKey", "staleKey", "oob", "noRight", "wrongPd", "localOob")
const Op = FastCheck.record({
  kind: FastCheck.constantFrom("write", "read", "send"),
  variant: Variant,
  src: FastCheck.integer({ min: 0, max: 60000 }),
  dst: FastCheck.integer({ min: 0, max: 60000 }),
  len: FastCheck.integer({ min: 1, max: 9000 })
})

describe("memory oracle", () => {
  it.scoped.prop(
    "no byte outside a valid target changes after random valid and invalid work",
    { ops: FastCheck.array(Op, { minLength: 1, maxLength: 12 }) },
    ({ ops }) =>
      Effect.gen(function*() {
        const { a, b } = yield* pair({ side: { bufBytes: 128 * 1024 } })
        const REG = 70000 // registered span inside each side's 128 KiB buffer
        // b: a remote-read-only region and a foreign-PD region
        const ro = yield* b.nic.createMr(b.pd)
        yield* b.nic.registerMr(ro, b.buf, REG, Access.REMOTE_READ)
        const pd2 = yield* b.nic.allocPd
        const foreign = yield* b.nic.createMr(pd2)
        yield* b.nic.registerMr(foreign, b.buf, REG, Access.REMOTE_WRITE | Access.REMOTE_READ)
        const stale = yield* b.nic.createMr(b.pd)
        yield* b.nic.registerMr(stale, b.buf, REG, Access.REMOTE_WRITE)
        const staleKey = b.nic.mrKey(stale)
        yield* b.nic.deregisterMr(stale)
        // fill both arenas with a recognizable pattern and snapshot them
        const fill = (n: Nic.Nic, seed: number) => {
          const v = n.memory.view(n.memory.base, n.memory.size)
          for (let i = 0; i < v.length; i += 997) v[i] = (i * seed) & 0xff
        }
        fill(a.nic, 7)
        fill(b.nic, 13)
        const beforeA = a.nic.memory.read(a.nic.memory.base, a.nic.memory.size)
        const beforeB = b.nic.memory.read(b.nic.memory.base, b.nic.memory.size)
        const allowedA: Array<[number, number]> = []
        const allowedB: Array<[number, number]> = []
        let qa = a
        let qb = b
        const s = new Nic.Sgl(1)
        for (const op of ops) {
          // a fresh connected QP pair per op, so an earlier error does not just flush this one
          qa = yield* makeSide(a.nic, { pd: a.pd, bufBytes: 64 })
          qb = yield* makeSide(b.nic, { pd: b.pd, bufBytes: 64 })
          yield* connect(qa, qb)
          const len = Math.min(op.len, REG - op.src, REG - op.dst)
          if (len <= 0) continue
          const rkey = op.variant === "badKey"
            ? (b.key ^ 0x5a5a00) >>> 0
            : op.variant === "staleKey"
            ? staleKey
            : op.variant === "noRight"
            ? b.nic.mrKey(ro)
            : op.variant === "wrongPd"
            ? b.nic.mrKey(foreign)
            : b.key
          const raddr = op.variant === "oob" ? b.buf + REG * 4 + op.dst : b.buf + op.dst
          const lkey = a.key
          const laddr = op.variant === "localOob" ? a.buf + 256 * 1024 - 10 : a.buf + op.src
          const valid = op.variant === "valid"
          if (op.kind === "write") {
            qa.nic.postWrite(qa.qpn, 0, s.one(laddr, len, lkey), 0, raddr, rkey)
            if (valid) allowedB.push([op.dst, len])
          } else if (op.kind === "read") {
            // noRight: the RO region does allow reads, so it is a valid source; use the key only for writes
            const k = op.variant === "noRight" ? b.key ^ 1 : rkey
            qa.nic.postRead(qa.qpn, 0, s.one(laddr, len, lkey), 0, raddr, k)
            if (valid) allowedA.push([op.src, len])
          } else {
            const rcvKey = op.variant === "valid" || op.variant === "localOob" || op.variant === "oob" ? b.key : rkey
            const rcvAddr = op.variant === "oob" ? b.buf + 128 * 1024 : b.buf + op.dst
            qb.nic.postReceive(qb.qpn, 0, s.one(rcvAddr, len, rcvKey))
            qa.nic.postSend(qa.qpn, 0, s.one(laddr, len, lkey), 0)
            if (valid) allowedB.push([op.dst, len])
          }
          const qaNow = qa
          yield* settle(() => qaNow.nic.cqCount(qaNow.cq) > 0)
          const r = new Nic.CqResults(4)
          const n = qa.nic.pollCq(qa.cq, r)
          assert.strictEqual(n, 1)
          assert.strictEqual(r.status[0] === 0, valid, `${op.kind}/${op.variant} status ${r.status[0]}`)
        }
        const afterA = a.nic.memory.read(a.nic.memory.base, a.nic.memory.size)
        const afterB = b.nic.memory.read(b.nic.memory.base, b.nic.memory.size)
        const check = (before: Uint8Array, after: Uint8Array, base: number, allowed: Array<[number, number]>) => {
          for (let i = 0; i < before.length; i++) {
            if (before[i] !== after[i]) {
              const off = i - base
              assert.isTrue(
                allowed.some(([o, l]) => off >= o && off < o + l),
                `byte at +${off} changed outside a valid target`
              )
            }
          }
        }
        check(beforeA, afterA, a.buf - a.nic.memory.base, allowedA)
        check(beforeB, afterB, b.buf - b.nic.memory.base, allowedB)
      }),
    { fastCheck: { numRuns: 25 } }
  )
})
