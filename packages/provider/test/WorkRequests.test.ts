import type { NdkAdapterInfo } from "@effect-ndk/ndkpi/AdapterInfo"
import type { NdkLogicalAddressMapping } from "@effect-ndk/ndkpi/LogicalAddressMapping"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkMr, NdkMw, NdkPd, NdkQp } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import {
  collect,
  createCq,
  createMw,
  createPd,
  createQp,
  drain,
  drainEx,
  hosts,
  open,
  pair,
  registered,
  run,
  S,
  settle,
  sge
} from "./utils/setup.js"

type Side = Effect.Effect.Success<ReturnType<typeof pair>>["a"]

const initiatorPosts = (qp: NdkQp, side: Side, mw: NdkMw) => [
  qp.Dispatch.NdkSend(qp, "send", [sge(side.buf, 0, 8)], 1, 0),
  qp.Dispatch.NdkSendAndInvalidate(qp, "sinv", [sge(side.buf, 0, 8)], 1, 0, 1),
  qp.Dispatch.NdkRead(qp, "read", [sge(side.buf, 0, 8)], 1, 0x1000n, 1, 0),
  qp.Dispatch.NdkWrite(qp, "write", [sge(side.buf, 0, 8)], 1, 0x1000n, 1, 0),
  qp.Dispatch.NdkBind(qp, "bind", side.buf.mr, mw, BigInt(side.buf.va), 64n, 0x8),
  qp.Dispatch.NdkInvalidate(qp, "inv", mw, 0)
]

const waitAll = (side: Side, n: number) => collect(side.cq, n)

describe("work requests", () => {
  it.scoped("R53, R75: every initiator WR on an unconnected QP is STATUS_CONNECTION_INVALID with no CQ entry", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const qp = yield* createQp(a.pd, a.cq, a.cq)
      const mw = yield* createMw(a.pd)
      for (const post of initiatorPosts(qp, a, mw)) expect(yield* post).toBe(S.STATUS_CONNECTION_INVALID)
      yield* run(500)
      expect(drain(a.cq)).toEqual([])
    }))

  it.scoped("R10: no work-request post returns STATUS_PENDING (connected or not, good or bad input)", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const idle = yield* createQp(a.pd, a.cq, a.cq)
      const mw = yield* createMw(a.pd)
      const all = [...initiatorPosts(a.qp, a, mw), ...initiatorPosts(idle, a, mw)]
      for (const post of all) expect(yield* post).not.toBe(S.STATUS_PENDING)
      expect(yield* a.qp.Dispatch.NdkReceive(a.qp, "r", [sge(a.buf, 0, 8)], 1)).not.toBe(S.STATUS_PENDING)
      expect(yield* a.qp.Dispatch.NdkFastRegister(a.qp, "fr", a.buf.mr, 1, [0n], 0, 8n, 0n, 0)).not.toBe(
        S.STATUS_PENDING
      )
    }))

  it.scoped("R76: NdkReceive on an unconnected QP succeeds", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const qp = yield* createQp(a.pd, a.cq, a.cq)
      expect(yield* qp.Dispatch.NdkReceive(qp, "r", [sge(a.buf, 0, 64)], 1)).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R77, R89: a post failing inline (too many SGEs: STATUS_DATA_OVERRUN) never produces a CQ entry", () =>
    Effect.gen(function*() {
      const { a } = yield* pair({ qp: { isge: 2 } })
      const sges = [sge(a.buf, 0, 8), sge(a.buf, 8, 8), sge(a.buf, 16, 8)]
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "s", sges, 3, 0)).toBe(S.STATUS_DATA_OVERRUN)
      expect(yield* a.qp.Dispatch.NdkWrite(a.qp, "w", sges, 3, BigInt(a.buf.va), a.buf.remote, 0)).toBe(
        S.STATUS_DATA_OVERRUN
      )
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "bad-flag", [sge(a.buf, 0, 8)], 1, 0x8)).toBe(
        S.STATUS_INVALID_PARAMETER
      )
      yield* run(1000)
      expect(drain(a.cq)).toEqual([])
    }))

  it.scoped("R78, R82, R83: one CQ entry per WR with its contexts, in posting order, bytes of the send", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      for (let i = 0; i < 5; i++) yield* b.qp.Dispatch.NdkReceive(b.qp, `r${i}`, [sge(b.buf, i * 100, 100)], 1)
      for (let i = 0; i < 5; i++) yield* a.qp.Dispatch.NdkSend(a.qp, `s${i}`, [sge(a.buf, 0, 10 + i)], 1, 0)
      const ra = yield* waitAll(a, 5)
      const rb = yield* collect(b.cq, 5)
      expect(ra.map((r) => [r.RequestContext, r.QPContext, r.Status])).toEqual(
        [0, 1, 2, 3, 4].map((i) => [`s${i}`, "qp0", 0])
      )
      expect(rb.map((r) => [r.RequestContext, r.QPContext, r.BytesTransferred])).toEqual(
        [0, 1, 2, 3, 4].map((i) => [`r${i}`, "qp1", 10 + i])
      )
    }))

  it.scoped("R79: a silent success produces no entry; a failing silent WR produces an error entry", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      yield* a.qp.Dispatch.NdkWrite(a.qp, "silent-ok", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0x1)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "loud", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0)
      const r = yield* waitAll(a, 1)
      yield* run(500)
      r.push(...drain(a.cq))
      expect(r.map((x) => x.RequestContext)).toEqual(["loud"])
      yield* a.qp.Dispatch.NdkWrite(a.qp, "silent-bad", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), 0xdead, 0x1)
      const e = yield* waitAll(a, 1)
      expect(e.map((x) => [x.RequestContext, x.Status])).toEqual([["silent-bad", S.STATUS_ACCESS_VIOLATION]])
    }))

  it.scoped("R80: NdkFlush cancels both queues of that QP only, even on a shared CQ", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      const other = yield* createQp(a.pd, a.cq, a.cq, { context: "other" })
      yield* other.Dispatch.NdkReceive(other, "keep", [sge(a.buf, 0, 8)], 1)
      for (let i = 0; i < 3; i++) yield* a.qp.Dispatch.NdkReceive(a.qp, `r${i}`, [sge(a.buf, 0, 8)], 1)
      // a send nobody receives stays outstanding (RNR) until the flush
      yield* a.qp.Dispatch.NdkSend(a.qp, "s", [sge(a.buf, 0, 8)], 1, 0)
      yield* a.qp.Dispatch.NdkFlush(a.qp)
      const r = yield* collect(a.cq, 4)
      yield* run(500)
      r.push(...drain(a.cq))
      expect(r.map((x) => x.RequestContext).sort()).toEqual(["r0", "r1", "r2", "s"])
      expect(r.every((x) => x.Status === S.STATUS_CANCELLED && x.QPContext === "qp0")).toBe(true)
    }))

  it.scoped("R81: a post racing a flush ends with exactly one CQ entry", () =>
    Effect.gen(function*() {
      const { a } = yield* pair()
      yield* a.qp.Dispatch.NdkFlush(a.qp)
      const st = yield* a.qp.Dispatch.NdkReceive(a.qp, "late", [sge(a.buf, 0, 8)], 1)
      yield* run(500)
      const r = drain(a.cq)
      expect(r.filter((x) => x.RequestContext === "late").length).toBe(st === S.STATUS_SUCCESS ? 1 : 0)
    }))

  it.scoped("R84, R85: a send larger than the receive buffer overflows the receive and cancels the rest", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      yield* b.qp.Dispatch.NdkReceive(b.qp, "small", [sge(b.buf, 0, 4)], 1)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "next", [sge(b.buf, 0, 4)], 1)
      yield* a.qp.Dispatch.NdkSend(a.qp, "big", [sge(a.buf, 0, 64)], 1, 0)
      yield* a.qp.Dispatch.NdkSend(a.qp, "after", [sge(a.buf, 0, 2)], 1, 0)
      const rb = yield* collect(b.cq, 2)
      expect(rb.map((r) => [r.RequestContext, r.Status])).toEqual([
        ["small", S.STATUS_BUFFER_OVERFLOW],
        ["next", S.STATUS_CANCELLED]
      ])
      const ra = yield* collect(a.cq, 2)
      expect(ra[0]!.Status).not.toBe(S.STATUS_SUCCESS)
      expect(ra[1]!.Status).toBe(S.STATUS_CANCELLED)
    }))

  it.scoped("R86: a READ_FENCE send starts only after the earlier read completed", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ fabric: { latencyUs: 20 } })
      b.host.nic.memory.write(b.buf.va, new Uint8Array([9, 8, 7, 6]))
      a.host.nic.memory.fill(a.buf.va + 1000, 4, 0)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 2000, 16)], 1)
      yield* a.qp.Dispatch.NdkRead(a.qp, "read", [sge(a.buf, 1000, 4)], 1, BigInt(b.buf.va), b.buf.remote, 0)
      yield* a.qp.Dispatch.NdkSend(a.qp, "send", [sge(a.buf, 1000, 4)], 1, 0x2)
      yield* collect(b.cq, 1)
      expect(Array.from(b.host.nic.memory.read(b.buf.va + 2000, 4))).toEqual([9, 8, 7, 6])
    }))

  it.scoped("R87, R88: INLINE copies at post time, ignores tokens, and is limited by InlineDataSize", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ qp: { inline: 16, isge: 1 } })
      a.host.nic.memory.write(a.buf.va, new Uint8Array([1, 2, 3, 4, 5, 6]))
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 0, 64)], 1)
      const bad = [Sge.make(BigInt(a.buf.va), 3, 0xbad), Sge.make(BigInt(a.buf.va + 3), 3, 0xbad)]
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "inline", bad, 2, 0x40)).toBe(S.STATUS_SUCCESS)
      a.host.nic.memory.fill(a.buf.va, 6, 0)
      const rb = yield* collect(b.cq, 1)
      expect(rb[0]!.Status).toBe(S.STATUS_SUCCESS)
      expect(Array.from(b.host.nic.memory.read(b.buf.va, 6))).toEqual([1, 2, 3, 4, 5, 6])
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "too-big", [sge(a.buf, 0, 17)], 1, 0x40)).toBe(
        S.STATUS_INVALID_PARAMETER
      )
      yield* collect(a.cq, 1)
      yield* run(500)
      expect(drain(a.cq).map((r) => r.RequestContext)).toEqual([])
    }))

  it.scoped("R90: NdkRead accepts up to MaxReadRequestSge SGEs beyond MaxInitiatorRequestSge", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ qp: { isge: 1 } })
      const sges = [0, 1, 2, 3].map((i) => sge(a.buf, i * 8, 8))
      expect(yield* a.qp.Dispatch.NdkRead(a.qp, "read", sges, 4, BigInt(b.buf.va), b.buf.remote, 0)).toBe(
        S.STATUS_SUCCESS
      )
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_SUCCESS)
      const max = a.host.nic.info.maxReadSge
      const many = Array.from({ length: max + 1 }, (_, i) => sge(a.buf, i, 1))
      expect(yield* a.qp.Dispatch.NdkRead(a.qp, "x", many, max + 1, BigInt(b.buf.va), b.buf.remote, 0)).toBe(
        S.STATUS_DATA_OVERRUN
      )
    }))

  it.scoped("R91: posting beyond the queue depth is STATUS_NO_MORE_ENTRIES with no CQ entry", () =>
    Effect.gen(function*() {
      const { a } = yield* pair({ qp: { rq: 2 } })
      expect(yield* a.qp.Dispatch.NdkReceive(a.qp, 1, [sge(a.buf, 0, 8)], 1)).toBe(S.STATUS_SUCCESS)
      expect(yield* a.qp.Dispatch.NdkReceive(a.qp, 2, [sge(a.buf, 0, 8)], 1)).toBe(S.STATUS_SUCCESS)
      expect(yield* a.qp.Dispatch.NdkReceive(a.qp, 3, [sge(a.buf, 0, 8)], 1)).toBe(S.STATUS_NO_MORE_ENTRIES)
      yield* a.qp.Dispatch.NdkFlush(a.qp)
      yield* run(300)
      expect(drain(a.cq).map((r) => r.RequestContext)).toEqual([1, 2])
    }))

  it.scoped("R92, R93: DEFER chains complete one entry per WR, also when a later post fails inline", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const w = (ctx: string, flags: number) =>
        a.qp.Dispatch.NdkWrite(a.qp, ctx, [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, flags)
      expect(yield* w("d1", 0x200)).toBe(0)
      expect(yield* w("d2", 0x200)).toBe(0)
      expect(yield* w("end", 0)).toBe(0)
      expect((yield* collect(a.cq, 3)).map((r) => r.RequestContext)).toEqual(["d1", "d2", "end"])
      expect(yield* w("d3", 0x200)).toBe(0)
      const tooMany = Array.from({ length: 20 }, () => sge(a.buf, 0, 1))
      expect(yield* a.qp.Dispatch.NdkWrite(a.qp, "fail", tooMany, 20, BigInt(b.buf.va), b.buf.remote, 0x200)).toBe(
        S.STATUS_DATA_OVERRUN
      )
      const r = yield* collect(a.cq, 1)
      yield* run(500)
      r.push(...drain(a.cq))
      expect(r.map((x) => [x.RequestContext, x.Status])).toEqual([["d3", 0]])
    }))

  it.scoped("R94, R95, R96: send-and-invalidate: sender Type Send, receiver 0x8001 + token; plain poll still invalidates", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const mw = yield* createMw(b.pd)
      expect(yield* b.qp.Dispatch.NdkBind(b.qp, "bind", b.buf.mr, mw, BigInt(b.buf.va), 256n, 0x8)).toBe(0)
      const token = yield* mw.Dispatch.NdkGetRemoteTokenFromMw(mw)
      yield* collect(b.cq, 1)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 1000, 64)], 1)
      expect(yield* a.qp.Dispatch.NdkSendAndInvalidate(a.qp, "si", [sge(a.buf, 0, 8)], 1, 0, token)).toBe(0)
      const ex: Array<NdkResultEx> = []
      yield* settle(() => {
        ex.push(...drainEx(b.cq))
        return ex.length > 0
      })
      expect(ex.map((r) => [r.RequestContext, r.Type, r.TypeSpecificCompletionOutput])).toEqual([["r", 0x8001, token]])
      const sa: Array<NdkResultEx> = []
      yield* settle(() => {
        sa.push(...drainEx(a.cq))
        return sa.length > 0
      })
      expect(sa.map((r) => r.Type)).toEqual([2])
      // the window is gone: invalidating it again fails, remote access through it fails
      expect(yield* b.qp.Dispatch.NdkInvalidate(b.qp, "inv", mw, 0)).toBe(0)
      const inv = yield* collect(b.cq, 1)
      expect(inv[0]!.Status).not.toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R95: a receiver polling with plain NdkGetCqResults gets the completion; remote access with the token then fails", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const mw = yield* createMw(b.pd)
      yield* b.qp.Dispatch.NdkBind(b.qp, "bind", b.buf.mr, mw, BigInt(b.buf.va), 256n, 0x8)
      const token = yield* mw.Dispatch.NdkGetRemoteTokenFromMw(mw)
      yield* collect(b.cq, 1)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r", [sge(b.buf, 1000, 64)], 1)
      yield* a.qp.Dispatch.NdkSendAndInvalidate(a.qp, "si", [sge(a.buf, 0, 8)], 1, 0, token)
      const r = yield* collect(b.cq, 1)
      expect(r.map((x) => [x.RequestContext, x.Status])).toEqual([["r", 0]])
      yield* collect(a.cq, 1)
      // the token was invalidated although the receiver was not told: remote access through it fails
      yield* a.qp.Dispatch.NdkRead(a.qp, "read", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), token, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
    }))

  it.scoped("R97: send-and-invalidate with a token invalid at the receiver aborts the connection", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r1", [sge(b.buf, 0, 64)], 1)
      yield* b.qp.Dispatch.NdkReceive(b.qp, "r2", [sge(b.buf, 0, 64)], 1)
      yield* a.qp.Dispatch.NdkSendAndInvalidate(a.qp, "si", [sge(a.buf, 0, 8)], 1, 0, 0x12345)
      const rb = yield* collect(b.cq, 2)
      expect(rb.map((r) => r.Status === S.STATUS_SUCCESS)).toEqual([false, false])
      const ra = yield* collect(a.cq, 1)
      expect(ra[0]!.Status).not.toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R99: a write with a valid token places the data and gives the peer no completion", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      a.host.nic.memory.write(a.buf.va, new Uint8Array([4, 3, 2, 1]))
      yield* a.qp.Dispatch.NdkWrite(a.qp, "w", [sge(a.buf, 0, 4)], 1, BigInt(b.buf.va + 500), b.buf.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(0)
      expect(Array.from(b.host.nic.memory.read(b.buf.va + 500, 4))).toEqual([4, 3, 2, 1])
      yield* run(500)
      expect(drain(b.cq)).toEqual([])
    }))

  it.scoped("R100: RDMA through a bad token is STATUS_ACCESS_VIOLATION and the target's receives are cancelled", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      yield* b.qp.Dispatch.NdkReceive(b.qp, "posted", [sge(b.buf, 0, 8)], 1)
      yield* a.qp.Dispatch.NdkWrite(a.qp, "w", [sge(a.buf, 0, 4)], 1, BigInt(b.buf.va), b.buf.remote ^ 0x5a5a00, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
      const rb = yield* collect(b.cq, 1)
      expect(rb.map((r) => [r.RequestContext, r.Status])).toEqual([["posted", S.STATUS_CANCELLED]])
    }))

  it.scoped("R101: a read beyond the remote region fails with STATUS_REMOTE_RESOURCES", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const end = BigInt(b.buf.va + b.buf.size - 4)
      yield* a.qp.Dispatch.NdkRead(a.qp, "r", [sge(a.buf, 0, 64)], 1, end, b.buf.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_REMOTE_RESOURCES)
    }))

  it.scoped("R98: READ_LOCAL_INVALIDATE is ignored without the adapter flag (the sink token stays valid)", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair({ nic: { readLocalInvalidate: false } })
      yield* a.qp.Dispatch.NdkRead(a.qp, "r", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0x100)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(0)
      yield* a.qp.Dispatch.NdkRead(a.qp, "r2", [sge(a.buf, 0, 8)], 1, BigInt(b.buf.va), b.buf.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(0)
    }))

  it.scoped("R98: with adapter flag 0x10, a read flagged 0x100 invalidates the first SGE's token on success", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const info = OutParam.out<NdkAdapterInfo>()
      yield* a.adapter.Dispatch.NdkQueryAdapterInfo(a.adapter, info, OutParam.inOut(0x68))
      expect(info.value!.AdapterFlags & 0x10).toBe(0x10)
      const out = OutParam.out<NdkMr>()
      yield* a.pd.Dispatch.NdkCreateMr(a.pd, true, () => Effect.void, null, out)
      const fr = out.value!
      expect(yield* fr.Dispatch.NdkInitializeFastRegisterMr(fr, 1, false, () => Effect.void, null)).toBe(0)
      const va = a.host.nic.memory.alloc(4096, 4096)
      const lam = OutParam.out<NdkLogicalAddressMapping>()
      yield* a.adapter.Dispatch.NdkBuildLAM(
        a.adapter,
        { virtualAddress: BigInt(va), byteCount: 4096 },
        4096n,
        null,
        null,
        lam,
        OutParam.inOut(64),
        OutParam.out()
      )
      const base = 0x40000n
      expect(
        yield* a.qp.Dispatch.NdkFastRegister(a.qp, "fr", fr, 1, lam.value!.AdapterPageArray, 0, 4096n, base, 0x90)
      ).toBe(0)
      const token = yield* fr.Dispatch.NdkGetLocalTokenFromMr(fr)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(0)
      const sink = [Sge.make(base, 8, token)]
      yield* a.qp.Dispatch.NdkRead(a.qp, "r1", sink, 1, BigInt(b.buf.va), b.buf.remote, 0x100)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(0)
      yield* a.qp.Dispatch.NdkRead(a.qp, "r2", sink, 1, BigInt(b.buf.va), b.buf.remote, 0)
      expect((yield* collect(a.cq, 1))[0]!.Status).toBe(S.STATUS_ACCESS_VIOLATION)
    }))

  it.scoped("SendAndInvalidate and 1.2 flags are refused at 1.1", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { provider: { version: { Major: 1, Minor: 1 } } })
      const adapter = yield* open(h!.provider, { Major: 1, Minor: 1 })
      const pd: NdkPd = yield* createPd(adapter)
      const cq = yield* createCq(adapter)
      const qp = yield* createQp(pd, cq, cq)
      const buf = yield* registered(h!.nic, pd, 4096)
      expect(yield* qp.Dispatch.NdkSendAndInvalidate(qp, "x", [sge(buf, 0, 8)], 1, 0, 1)).toBe(S.STATUS_NOT_SUPPORTED)
      expect(yield* qp.Dispatch.NdkSend(qp, "x", [sge(buf, 0, 8)], 1, 0x200)).toBe(S.STATUS_INVALID_PARAMETER)
    }))
})

export type { NdkResult }
