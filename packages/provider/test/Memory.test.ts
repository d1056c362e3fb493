import { PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import type { NdkLogicalAddressMapping } from "@effect-ndk/ndkpi/LogicalAddressMapping"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkMr } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { collect, createMw, drain, pair, registered, run, S, sge } from "./utils/setup.js"

const done = () => Effect.void

const newMr = (pd: Effect.Effect.Success<ReturnType<typeof pair>>["a"]["pd"], fast: boolean) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkMr>()
    expect(yield* pd.Dispatch.NdkCreateMr(pd, fast, done, null, out)).toBe(S.STATUS_SUCCESS)
    return out.value!
  })

const lamOf = (
  adapter: Effect.Effect.Success<ReturnType<typeof pair>>["a"]["adapter"],
  va: number,
  length: number,
  bufferBytes = 4096
) =>
  Effect.gen(function*() {
    const lam = OutParam.out<NdkLogicalAddressMapping>()
    const size = OutParam.inOut(bufferBytes)
    const fbo = OutParam.out<number>()
    const st = yield* adapter.Dispatch.NdkBuildLAM(
      adapter,
      { virtualAddress: BigInt(va), byteCount: length },
      BigInt(length),
      null,
      null,
      lam,
      size,
      fbo
    )
    return { st, lam: lam.value, size: size.value, fbo: fbo.value }
  })

describe("memory", () => {
  it.scoped("R110: a range that is not virtually contiguous is STATUS_INVALID_PARAMETER", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const mr = yield* newMr(a.pd, false)
      const va = a.host.nic.memory.alloc(16384, 4096)
      const mdl = {
        virtualAddress: BigInt(va),
        byteCount: 4096,
        next: { virtualAddress: BigInt(va + 8192), byteCount: 4096 }
      }
      expect(yield* mr.Dispatch.NdkRegisterMr(mr, mdl, 8192n, 0x1, done, null)).toBe(S.STATUS_INVALID_PARAMETER)
      const ok = {
        virtualAddress: BigInt(va),
        byteCount: 4096,
        next: { virtualAddress: BigInt(va + 4096), byteCount: 4096 }
      }
      expect(yield* mr.Dispatch.NdkRegisterMr(mr, ok, 8192n, 0x1, done, null)).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R111: the remote token grants exactly the registered remote rights", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const ro = yield* registered(b.host.nic, b.pd, 4096, 0x2)
      yield* a.qp.Dispatch.NdkRead(a.qp, "read", [sge(a.buf, 0, 16)], 1, BigInt(ro.va), ro.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "write", [sge(a.buf, 0, 16)], 1, BigInt(ro.va), ro.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
    }))

  it.scoped("R112: NDK_MR_FLAG_ALLOW_REMOTE_WRITE (0x5) alone permits local writes (receives)", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const rw = yield* registered(b.host.nic, b.pd, 4096, 0x5)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(rw, 0, 64)], 1)
      yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 16)], 1, 0)
      expect((yield* collect(b.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R113: register/deregister on an FR-MR and init-FR/fast-register on a normal MR fail inline", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const fr = yield* newMr(a.pd, true)
      const va = a.host.nic.memory.alloc(4096, 4096)
      const mdl = { virtualAddress: BigInt(va), byteCount: 4096 }
      expect(yield* fr.Dispatch.NdkRegisterMr(fr, mdl, 4096n, 0x1, done, null)).toBe(S.STATUS_INVALID_DEVICE_REQUEST)
      expect(yield* fr.Dispatch.NdkDeregisterMr(fr, done, null)).toBe(S.STATUS_INVALID_DEVICE_REQUEST)
      expect(yield* a.buf.mr.Dispatch.NdkInitializeFastRegisterMr(a.buf.mr, 4, false, done, null)).toBe(
        S.STATUS_INVALID_DEVICE_REQUEST
      )
      expect(yield* a.qp.Dispatch.NdkFastRegister(a.qp, "fr", a.buf.mr, 1, [0n], 0, 16n, 0n, 0)).toBe(
        S.STATUS_INVALID_DEVICE_REQUEST
      )
      yield* run(300)
      expect(drain(a.cq)).toEqual([])
    }))

  it.scoped("R114: InitializeFastRegisterMr with an unsupported page count is STATUS_IMPLEMENTATION_LIMIT", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const fr = yield* newMr(a.pd, true)
      const max = a.host.nic.info.maxFrPages
      expect(yield* fr.Dispatch.NdkInitializeFastRegisterMr(fr, max + 1, true, done, null)).toBe(
        S.STATUS_IMPLEMENTATION_LIMIT
      )
      expect(yield* fr.Dispatch.NdkInitializeFastRegisterMr(fr, max, true, done, null)).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R115, R116, R117: fast-register rights and geometry; the FR token is usable at once by the peer", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const va = b.host.nic.memory.alloc(3 * PAGE_SIZE, PAGE_SIZE)
      const m = yield* lamOf(b.adapter, va + 100, 2 * PAGE_SIZE)
      expect(m.st).toBe(S.STATUS_SUCCESS)
      const local = yield* newMr(b.pd, true)
      expect(yield* local.Dispatch.NdkInitializeFastRegisterMr(local, 4, false, done, null)).toBe(0)
      const pages = m.lam!.AdapterPageArray
      // remote rights on an MR initialized without remote access
      expect(
        yield* b.qp.Dispatch.NdkFastRegister(b.qp, "x", local, pages.length, pages, m.fbo!, 100n, BigInt(m.fbo!), 0x30)
      ).toBe(S.STATUS_ACCESS_VIOLATION)
      const fr = yield* newMr(b.pd, true)
      expect(yield* fr.Dispatch.NdkInitializeFastRegisterMr(fr, 4, true, done, null)).toBe(0)
      // base VA not ≡ FBO mod PAGE_SIZE; length beyond the pages
      expect(
        yield* b.qp.Dispatch.NdkFastRegister(b.qp, "x", fr, pages.length, pages, m.fbo!, 100n, 0x10000n, 0x30)
      ).not.toBe(S.STATUS_SUCCESS)
      expect(
        yield* b.qp.Dispatch.NdkFastRegister(
          b.qp,
          "x",
          fr,
          pages.length,
          pages,
          m.fbo!,
          BigInt(pages.length * PAGE_SIZE),
          BigInt(0x10000 + m.fbo!),
          0x30
        )
      ).not.toBe(S.STATUS_SUCCESS)
      yield* run(300)
      expect(drain(b.cq)).toEqual([])
      const base = BigInt(0x10000 + m.fbo!)
      expect(
        yield* b.qp.Dispatch.NdkFastRegister(b.qp, "fr", fr, pages.length, pages, m.fbo!, 1000n, base, 0x30)
      ).toBe(S.STATUS_SUCCESS)
      const token = yield* fr.Dispatch.NdkGetRemoteTokenFromMr(fr)
      a.host.nic.memory.write(a.buf.va, new Uint8Array([7, 7, 7]))
      yield* a.qp.Dispatch.NdkWrite(a.qp, "w", [sge(a.buf, 0, 3)], 1, base + 10n, token, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      expect(Array.from(b.host.nic.memory.read(va + 110, 3))).toEqual([7, 7, 7])
    }))

  it.scoped("R118, R119, R120: bind rights, the MW token usable at once, dead after invalidation", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const ro = yield* registered(b.host.nic, b.pd, 4096, 0x2)
      const mw = yield* createMw(b.pd)
      expect(yield* b.qp.Dispatch.NdkBind(b.qp, "bad", ro.mr, mw, BigInt(ro.va), 64n, 0x30)).toBe(
        S.STATUS_ACCESS_VIOLATION
      )
      expect(yield* b.qp.Dispatch.NdkBind(b.qp, "bind", b.buf.mr, mw, BigInt(b.buf.va), 256n, 0x38)).toBe(0)
      const token = yield* mw.Dispatch.NdkGetRemoteTokenFromMw(mw)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "w", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va + 8), token, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      expect(yield* b.qp.Dispatch.NdkInvalidate(b.qp, "inv", mw, 0)).toBe(0)
      expect((yield* collect(b.cq, 2)).map((r) => r.Status)).toEqual([0, 0])
      yield* a.qp.Dispatch.NdkWrite(a.qp, "w2", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va + 8), token, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
    }))

  it.scoped("R121: NdkDeregisterMr with a bound MW is STATUS_DEVICE_BUSY", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const mw = yield* createMw(a.pd)
      yield* a.qp.Dispatch.NdkBind(a.qp, "bind", a.buf.mr, mw, BigInt(a.buf.va), 64n, 0x8)
      expect(yield* a.buf.mr.Dispatch.NdkDeregisterMr(a.buf.mr, done, null)).toBe(S.STATUS_DEVICE_BUSY)
      yield* a.qp.Dispatch.NdkInvalidate(a.qp, "inv", mw, 0)
      yield* collect(a.cq, 2)
      expect(yield* a.buf.mr.Dispatch.NdkDeregisterMr(a.buf.mr, done, null)).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R122: re-registering yields a new token and the old one is rejected", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const old = b.buf.remote
      expect(yield* b.buf.mr.Dispatch.NdkDeregisterMr(b.buf.mr, done, null)).toBe(0)
      const mdl = { virtualAddress: BigInt(b.buf.va), byteCount: b.buf.size }
      expect(yield* b.buf.mr.Dispatch.NdkRegisterMr(b.buf.mr, mdl, BigInt(b.buf.size), 0x7, done, null)).toBe(0)
      const fresh = yield* b.buf.mr.Dispatch.NdkGetRemoteTokenFromMr(b.buf.mr)
      expect(fresh).not.toBe(old)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "old", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), old, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
    }))

  it.scoped("R123: the privileged token with LAM addresses works locally and never remotely", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const token = OutParam.out<number>()
      yield* a.pd.Dispatch.NdkGetPrivilegedMemoryRegionToken(a.pd, token)
      const va = a.host.nic.memory.alloc(PAGE_SIZE, PAGE_SIZE)
      a.host.nic.memory.write(va, new Uint8Array([5, 6, 7]))
      const m = yield* lamOf(a.adapter, va, PAGE_SIZE)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 0, 64)], 1)
      yield* a.qp.Dispatch.NdkSend(a.qp, "s", [Sge.make(m.lam!.AdapterPageArray[0]!, 3, token.value!)], 1, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      expect(Array.from(b.host.nic.memory.read(b.buf.va, 3))).toEqual([5, 6, 7])
      const bt = OutParam.out<number>()
      yield* b.pd.Dispatch.NdkGetPrivilegedMemoryRegionToken(b.pd, bt)
      yield* a.qp.Dispatch.NdkRead(a.qp, "rr", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), bt.value!, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
    }))

  it.scoped("R124, R125: BuildLAM sizes (16 + 8·pages), FBO = VA mod PAGE_SIZE, page-aligned pages", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const va = a.host.nic.memory.alloc(4 * PAGE_SIZE, PAGE_SIZE) + 300
      const length = 2 * PAGE_SIZE
      const pages = Math.ceil((300 + length) / PAGE_SIZE)
      const small = yield* lamOf(a.adapter, va, length, 16)
      expect(small.st).toBe(S.STATUS_BUFFER_TOO_SMALL)
      expect(small.size).toBe(16 + 8 * pages)
      const m = yield* lamOf(a.adapter, va, length)
      expect(m.st).toBe(S.STATUS_SUCCESS)
      expect(m.fbo).toBe(300)
      expect(m.lam!.AdapterPageCount).toBe(pages)
      expect(m.lam!.AdapterPageArray.every((p) => p % BigInt(PAGE_SIZE) === 0n)).toBe(true)
      yield* a.adapter.Dispatch.NdkReleaseLAM(a.adapter, m.lam!)
    }))
})
