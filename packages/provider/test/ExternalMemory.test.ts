import type { Mdl } from "@effect-ndk/ndkpi/Mdl"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkMr, NdkPd } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FastCheck from "effect/FastCheck"
import { collect, pair, S, sge } from "./utils/setup.js"

const done = () => Effect.void
/** A VA the caller names for its own buffer (outside the host arena). */
const VA = 0x6000_0000_0000n
const REMOTE_RW = 0x5 | 0x2

const newMr = (pd: NdkPd) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkMr>()
    expect(yield* pd.Dispatch.NdkCreateMr(pd, false, done, null, out)).toBe(S.STATUS_SUCCESS)
    return out.value!
  })

/** Registers `bytes` (a caller buffer) at `va` through an MDL that carries them. */
const registerBytes = (pd: NdkPd, bytes: Uint8Array, va = VA, flags = REMOTE_RW) =>
  Effect.gen(function*() {
    const mr = yield* newMr(pd)
    const mdl: Mdl = { virtualAddress: va, byteCount: bytes.length, bytes }
    const st = yield* mr.Dispatch.NdkRegisterMr(mr, mdl, BigInt(bytes.length), flags, done, null)
    return {
      st,
      mr,
      token: yield* mr.Dispatch.NdkGetLocalTokenFromMr(mr),
      remote: yield* mr.Dispatch.NdkGetRemoteTokenFromMr(mr)
    }
  })

describe("MR over a caller's buffer outside host memory", () => {
  it.scoped("R111: register at the caller's VA; the peer RDMA-writes and reads it; bytes around it never change", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const backing = new Uint8Array(12288).fill(0x5a)
      const mine = backing.subarray(2048, 10240)
      const r = yield* registerBytes(b.pd, mine)
      expect(r.st).toBe(S.STATUS_SUCCESS)
      expect(r.remote).not.toBe(0)
      // the peer writes into the caller's buffer by the caller's VA
      const w = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff)
      a.host.nic.memory.write(a.buf.va, w)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "w", [sge(a.buf, 0, 3000)], 1, VA + 5000n, r.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      expect(mine.subarray(5000, 8000)).toEqual(w)
      // and reads from it
      mine.set([9, 8, 7, 6], 100)
      yield* a.qp.Dispatch.NdkRead(a.qp, "r", [sge(a.buf, 8192, 4)], 1, VA + 100n, r.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      expect(Array.from(a.host.nic.memory.read(a.buf.va + 8192, 4))).toEqual([9, 8, 7, 6])
      // one byte past the region: refused at the responder, nothing touched
      const before = backing.slice()
      yield* a.qp.Dispatch.NdkWrite(a.qp, "oob", [sge(a.buf, 0, 2)], 1, VA + 8191n, r.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
      expect(backing).toEqual(before)
      expect(backing.subarray(0, 2048).every((x) => x === 0x5a)).toBe(true)
      expect(backing.subarray(10240).every((x) => x === 0x5a)).toBe(true)
    }))

  it.scoped("R111: the local token of a caller-buffer MR works in SGEs (send from it, receive into it)", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const src = Uint8Array.from({ length: 600 }, (_, i) => (i * 13) & 0xff)
      const ra = yield* registerBytes(a.pd, src, VA, 0x1)
      const dst = new Uint8Array(1024)
      const rb = yield* registerBytes(b.pd, dst, VA + 0x10000n, 0x1)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "rcv", [Sge.make(VA + 0x10000n + 100n, 700, rb.token)], 1)
      yield* a.qp.Dispatch.NdkSend(a.qp, "snd", [Sge.make(VA, 600, ra.token)], 1, 0)
      const got = yield* collect(b.cq, 1)
      expect([got[0]!.Status, got[0]!.BytesTransferred]).toEqual([S.STATUS_SUCCESS, 600])
      expect(dst.subarray(100, 700)).toEqual(src)
      expect(dst.subarray(0, 100).every((x) => x === 0)).toBe(true)
      expect(dst.subarray(700).every((x) => x === 0)).toBe(true)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      // deregister: the token is dead, the buffer is the caller's again and no longer reachable
      yield* rb.mr.Dispatch.NdkDeregisterMr(rb.mr, done, null)
      a.host.nic.memory.write(a.buf.va, new Uint8Array(8).fill(1))
      yield* a.qp.Dispatch.NdkWrite(a.qp, "late", [sge(a.buf, 0, 8)], 1, VA + 0x10000n, rb.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
      expect(dst.subarray(0, 8).every((x) => x === 0)).toBe(true)
    }))

  it.scoped("R110: bad caller-buffer MDLs: bytes not matching byteCount, a range spanning two buffers, VA past 2^53", () =>
    Effect.gen(function*() {
      const { b } = yield* pair()
      const mr = yield* newMr(b.pd)
      const reg = (mdl: Mdl, len: bigint) => mr.Dispatch.NdkRegisterMr(mr, mdl, len, REMOTE_RW, done, null)
      expect(yield* reg({ virtualAddress: VA, byteCount: 64, bytes: new Uint8Array(32) }, 64n))
        .toBe(S.STATUS_INVALID_PARAMETER)
      const two: Mdl = {
        virtualAddress: VA,
        byteCount: 4096,
        bytes: new Uint8Array(4096),
        next: { virtualAddress: VA + 4096n, byteCount: 4096, bytes: new Uint8Array(4096) }
      }
      expect(yield* reg(two, 8192n)).toBe(S.STATUS_NOT_SUPPORTED)
      // within the first MDL of the same chain: fine
      const big = BigInt(Number.MAX_SAFE_INTEGER) - 10n
      expect(yield* reg({ virtualAddress: big, byteCount: 64, bytes: new Uint8Array(64) }, 64n))
        .toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* reg(two, 4096n)).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped.prop(
    "memory oracle: random peer writes and reads change only the valid targets inside the caller's buffer",
    {
      ops: FastCheck.array(
        FastCheck.record({
          write: FastCheck.boolean(),
          off: FastCheck.integer({ min: -32, max: 4200 }),
          len: FastCheck.integer({ min: 1, max: 1500 })
        }),
        { minLength: 1, maxLength: 8 }
      )
    },
    ({ ops }) =>
      Effect.gen(function*() {
        const { a, b } = yield* pair()
        const SIZE = 4096
        const backing = Uint8Array.from({ length: SIZE + 256 }, (_, i) => (i * 29) & 0xff)
        const model = backing.slice()
        const r = yield* registerBytes(b.pd, backing.subarray(128, 128 + SIZE))
        expect(r.st).toBe(S.STATUS_SUCCESS)
        const arena = b.host.nic.memory.read(b.host.nic.memory.base, b.host.nic.memory.size)
        let qpOk = true
        for (const op of ops) {
          if (!qpOk) break
          const valid = op.off >= 0 && op.off + op.len <= SIZE
          const data = Uint8Array.from({ length: op.len }, (_, i) => (i + op.off) & 0xff)
          a.host.nic.memory.write(a.buf.va, data)
          if (op.write) {
            yield* a.qp.Dispatch.NdkWrite(a.qp, 0, [sge(a.buf, 0, op.len)], 1, VA + BigInt(op.off), r.remote, 0)
          } else {
            yield* a.qp.Dispatch.NdkRead(a.qp, 0, [sge(a.buf, 16384, op.len)], 1, VA + BigInt(op.off), r.remote, 0)
          }
          const st = (yield* collect(a.cq, 1))[0]!.Status
          expect(st === S.STATUS_SUCCESS).toBe(valid)
          if (valid && op.write) model.set(data, 128 + op.off)
          if (valid && !op.write) {
            expect(a.host.nic.memory.read(a.buf.va + 16384, op.len)).toEqual(
              model.subarray(128 + op.off, 128 + op.off + op.len)
            )
          }
          // an error moves the QP to error: stop there (later posts would only flush)
          qpOk = valid
          expect(backing).toEqual(model)
        }
        const after = b.host.nic.memory.read(b.host.nic.memory.base, b.host.nic.memory.size)
        expect(after.length === arena.length && after.every((x, i) => x === arena[i])).toBe(true)
      }),
    { fastCheck: { numRuns: 20 } }
  )
})
