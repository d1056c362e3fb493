/**
 * Queue pairs (SPEC.md §6.8, §10): create (with or without SRQ), every work request (DEFER chains, INLINE,
 * fences, silent success), flush, close with outstanding WRs flushed as STATUS_CANCELLED, and the seam the
 * connection side drives (connect to the remote QP, to error, disconnected).
 */
import { Sgl } from "@effect-ndk/hardware/Nic"
import { NicCode } from "@effect-ndk/hardware/NicCode"
import type { Lifetime } from "@effect-ndk/lifetime"
import { Lifetime as L } from "@effect-ndk/lifetime"
import { NdkAdapterFlag } from "@effect-ndk/ndkpi/AdapterFlag"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import * as OpFlag from "@effect-ndk/ndkpi/OpFlag"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  NdkCq,
  NdkCreateCompletion,
  NdkMr,
  NdkMw,
  NdkQp,
  NdkQpDispatch,
  NdkQpUnsafe,
  NdkSrq
} from "@effect-ndk/ndkpi/RawInterface"
import type { LogicalAddress, UINT64, VirtualAddress } from "@effect-ndk/ndkpi/Scalar"
import type { NdkSge } from "@effect-ndk/ndkpi/Sge"
import * as Effect from "effect/Effect"
import type { CqImpl } from "./cq.js"
import { findMr } from "./mr.js"
import { findMw } from "./mw.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import { close, create, lookup, makeObject, num, queryExtension, refuse, register, token32, toSgl } from "./object.js"
import type { PdImpl } from "./pd.js"
import type { QpConnectionState, QpSeam } from "./seam.js"
import type { SrqImpl } from "./srq.js"
import { fromNic } from "./status.js"

const S = NtStatus
const T = NdkObjectType.NdkObjectTypeQp
const CQ = NdkObjectType.NdkObjectTypeCq
const SRQ = NdkObjectType.NdkObjectTypeSrq
const F = OpFlag.NdkOpFlag
const V12_FLAGS = F.NDK_OP_FLAG_DEFER | F.NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE

/** The SGL every QP starts with: no entries, replaced by a real one at the first post with entries. */
const EMPTY_SGL = new Sgl(0)

/** The provider record of a QP. */
export class QpImpl implements ObjectImpl, QpSeam {
  readonly type = T
  readonly ops = new Set<PendingOp>()
  conn: QpConnectionState = "idle"
  /** the initiator queue's reusable SGL (allocated by the first post that needs entries: creation stays cheap) */
  sgl = EMPTY_SGL
  /** the receive queue's reusable SGL (posts to different queues may interleave) */
  readonly receiveSgl = { sgl: EMPTY_SGL }
  pages: Array<number> = []
  object!: NdkQp
  qpn = -1
  constructor(
    readonly pd: PdImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly rcq: CqImpl,
    readonly icq: CqImpl,
    readonly srq: SrqImpl | undefined,
    readonly context: unknown,
    readonly maxReceiveSge: number,
    readonly maxInitiatorSge: number,
    readonly inlineSize: number
  ) {}
  get adapter() {
    return this.pd.adapter
  }
  get receiveCq() {
    return this.rcq.rec
  }
  get initiatorCq() {
    return this.icq.rec
  }
  // methods, not arrow fields: a QP is created per connection and needs no closures of its own
  connectionState(): QpConnectionState {
    return this.conn
  }
  beginConnect(): boolean {
    if (this.conn !== "idle" || this.rec.state !== 1) return false
    this.conn = "connecting"
    return true
  }
  abortConnect(): void {
    if (this.conn === "connecting") this.conn = "idle"
  }
  connectToRemote(remote: {
    readonly remoteAddress: number
    readonly remoteQpn: number
    readonly ird: number
    readonly ord: number
  }): Effect.Effect<number> {
    return Effect.match(this.adapter.core.nic.connectQp(this.qpn, remote), {
      onFailure: (e) => fromNic(e.code),
      onSuccess: () => {
        this.conn = "connected"
        return S.STATUS_SUCCESS
      }
    })
  }
  toError(): void {
    this.adapter.core.nic.qpToError(this.qpn)
  }
  markDisconnected(): void {
    this.conn = "disconnected"
  }
  whenDrained(onDrained: () => void): void {
    // a sync handler: called by the engine driver right after the pass that drained the QP (never inside this call)
    const r = this.adapter.core.nic.watchDrain(this.qpn, { sync: onDrained })
    if (r !== NicCode.OK) onDrained()
  }

  /** Common checks of an initiator post; the flags to hand to the NIC, or a failure status. */
  initiatorFlags(request: OpFlag.FlaggedRequest, flags: number): number {
    if (this.rec.state !== 1) return -refuse(this)
    if (!Number.isInteger(flags) || flags < 0) return -S.STATUS_INVALID_PARAMETER
    let f = flags >>> 0
    if ((f & ~OpFlag.accepted[request]) !== 0) return -S.STATUS_INVALID_PARAMETER
    if ((f & V12_FLAGS) !== 0 && !NdkVersion.isAtLeast(this.adapter.version, NdkVersion.V1_2)) {
      return -S.STATUS_INVALID_PARAMETER
    }
    if (
      (f & F.NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE) !== 0 &&
      (this.adapter.info.AdapterFlags & NdkAdapterFlag.NDK_ADAPTER_FLAG_RDMA_READ_LOCAL_INVALIDATE_SUPPORTED) === 0
    ) f &= ~F.NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE
    if (this.conn !== "connected") return -S.STATUS_CONNECTION_INVALID
    return f
  }

  /** Builds the SGL of a data WR: SGE limit (waived for INLINE), inline size (R87–R90). */
  dataSgl(sges: ReadonlyArray<NdkSge>, nSge: number, flags: number, limit: number): Sgl | number {
    const inline = (flags & F.NDK_OP_FLAG_INLINE) !== 0
    if (!inline && Number.isInteger(nSge) && nSge > limit) return S.STATUS_DATA_OVERRUN
    const sgl = toSgl(this, sges, nSge)
    if (typeof sgl === "number") return sgl
    if (inline) {
      let total = 0
      for (let i = 0; i < sgl.count; i++) total += sgl.len[i]!
      if (total > this.inlineSize) return S.STATUS_INVALID_PARAMETER
    }
    return sgl
  }
}

const findQp = (p: unknown): QpImpl | undefined => lookup<QpImpl>(p, T)

/** The connection side's view of a QP (`undefined` for a handle that is not a QP). */
export const qpSeam = (p: unknown): QpSeam | undefined => findQp(p)

const status = (code: number): number => fromNic(code)
const BAD = S.STATUS_INVALID_PARAMETER

const send = (p: NdkQp, ctx: unknown, sges: ReadonlyArray<NdkSge>, nSge: number, flags: number): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  const f = qp.initiatorFlags("NdkSend", flags)
  if (f < 0) return -f
  const sgl = qp.dataSgl(sges, nSge, f, qp.maxInitiatorSge)
  if (typeof sgl === "number") return sgl
  return status(qp.adapter.core.nic.postSend(qp.qpn, ctx, sgl, f))
}

const sendAndInvalidate = (
  p: NdkQp,
  ctx: unknown,
  sges: ReadonlyArray<NdkSge>,
  nSge: number,
  flags: number,
  token: number
): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  // [1.2]: refused on an adapter that negotiated 1.1
  if (!NdkVersion.isAtLeast(qp.adapter.version, NdkVersion.V1_2)) return S.STATUS_NOT_SUPPORTED
  const f = qp.initiatorFlags("NdkSendAndInvalidate", flags)
  if (f < 0) return -f
  const sgl = qp.dataSgl(sges, nSge, f, qp.maxInitiatorSge)
  if (typeof sgl === "number") return sgl
  return status(qp.adapter.core.nic.postSendInvalidate(qp.qpn, ctx, sgl, f, token32(token)))
}

const receive = (p: NdkQp, ctx: unknown, sges: ReadonlyArray<NdkSge>, nSge: number): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  if (qp.rec.state !== 1) return refuse(qp)
  if (qp.srq !== undefined) return S.STATUS_INVALID_DEVICE_REQUEST
  if (Number.isInteger(nSge) && nSge > qp.maxReceiveSge) return S.STATUS_DATA_OVERRUN
  const sgl = toSgl(qp.receiveSgl, sges, nSge)
  if (typeof sgl === "number") return sgl
  return status(qp.adapter.core.nic.postReceive(qp.qpn, ctx, sgl))
}

const rdma = (
  request: "NdkRead" | "NdkWrite",
  p: NdkQp,
  ctx: unknown,
  sges: ReadonlyArray<NdkSge>,
  nSge: number,
  remoteAddress: UINT64,
  token: number,
  flags: number
): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  const f = qp.initiatorFlags(request, flags)
  if (f < 0) return -f
  const limit = request === "NdkRead" ? qp.adapter.info.MaxReadRequestSge : qp.maxInitiatorSge
  const sgl = qp.dataSgl(sges, nSge, f, limit)
  if (typeof sgl === "number") return sgl
  const ra = num(remoteAddress)
  const nic = qp.adapter.core.nic
  return status(
    request === "NdkRead"
      ? nic.postRead(qp.qpn, ctx, sgl, f, ra, token32(token))
      : nic.postWrite(qp.qpn, ctx, sgl, f, ra, token32(token))
  )
}

const bind = (
  p: NdkQp,
  ctx: unknown,
  pMr: NdkMr,
  pMw: NdkMw,
  va: VirtualAddress,
  length: bigint | number,
  flags: number
): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  const mr = findMr(pMr)
  const mw = findMw(pMw)
  if (mr === undefined || mw === undefined) return BAD
  const f = qp.initiatorFlags("NdkBind", flags)
  if (f < 0) return -f
  const len = num(length)
  if (!(len > 0) || len > Number(qp.adapter.info.MaxWindowSize)) return S.STATUS_INVALID_PARAMETER
  if (mw.boundTo !== undefined) return S.STATUS_INVALID_DEVICE_STATE
  const k = qp.adapter.kernel
  if (L.unsafeAddDependency(k, mr.rec, mw.rec) !== S.STATUS_SUCCESS) return S.STATUS_INVALID_DEVICE_STATE
  const code = qp.adapter.core.nic.postBind(qp.qpn, ctx, mr.handle, mw.handle, num(va), len, f)
  if (code !== NicCode.OK) {
    L.unsafeRemoveDependency(k, mr.rec, mw.rec)
    return status(code)
  }
  mw.boundTo = mr
  return S.STATUS_SUCCESS
}

const fastRegister = (
  p: NdkQp,
  ctx: unknown,
  pMr: NdkMr,
  pageCount: number,
  pageArray: ReadonlyArray<LogicalAddress>,
  fbo: number,
  length: bigint | number,
  baseVa: VirtualAddress,
  flags: number
): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  const mr = findMr(pMr)
  if (mr === undefined) return BAD
  if (!mr.fastRegister) return S.STATUS_INVALID_DEVICE_REQUEST
  const f = qp.initiatorFlags("NdkFastRegister", flags)
  if (f < 0) return -f
  if (!Array.isArray(pageArray) || !Number.isInteger(pageCount) || pageCount < 0 || pageCount > pageArray.length) {
    return S.STATUS_INVALID_PARAMETER
  }
  const pages = qp.pages
  pages.length = pageCount
  for (let i = 0; i < pageCount; i++) pages[i] = num(pageArray[i])
  const code = qp.adapter.core.nic.postFastRegister(
    qp.qpn,
    ctx,
    mr.handle,
    pages,
    pageCount,
    num(fbo),
    num(length),
    num(baseVa),
    f
  )
  return status(code)
}

const invalidate = (p: NdkQp, ctx: unknown, target: NdkMr | NdkMw, flags: number): number => {
  const qp = findQp(p)
  if (qp === undefined) return BAD
  const mr = findMr(target)
  const mw = mr === undefined ? findMw(target) : undefined
  if (mr === undefined && mw === undefined) return BAD
  if (mr !== undefined && !mr.fastRegister) return S.STATUS_INVALID_DEVICE_REQUEST
  const f = qp.initiatorFlags("NdkInvalidate", flags)
  if (f < 0) return -f
  const handle = mr !== undefined ? mr.handle : mw!.handle
  const code = qp.adapter.core.nic.postInvalidate(qp.qpn, ctx, handle, f)
  if (code !== NicCode.OK) return status(code)
  if (mw !== undefined && mw.boundTo !== undefined) {
    // the MR → MW edge ends with the invalidation (SPEC.md §8.5)
    const from = mw.boundTo
    mw.boundTo = undefined
    if (L.unsafeRemoveDependency(qp.adapter.kernel, from.rec, mw.rec)) {
      qp.adapter.core.fork(L.settle(qp.adapter.kernel, from.rec))
    }
  }
  return S.STATUS_SUCCESS
}

/**
 * SPEC.md §10.5: when an initiator post fails inline, every WR accepted earlier with DEFER is handed to the
 * hardware before the call returns (R93).
 */
const rung = (p: NdkQp, st: number): number => {
  if (st !== S.STATUS_SUCCESS) {
    const qp = findQp(p)
    if (qp !== undefined && qp.qpn >= 0 && qp.rec.state !== 3) qp.adapter.core.nic.ringDoorbell(qp.qpn)
  }
  return st
}

/** Synchronous twins of the work-request posts. */
export const qpUnsafe: NdkQpUnsafe = {
  NdkSend: (p, ctx, sges, n, flags) => rung(p, send(p, ctx, sges, n, flags)),
  NdkReceive: receive,
  NdkBind: (p, ctx, mr, mw, va, len, flags) => rung(p, bind(p, ctx, mr, mw, va, len, flags)),
  NdkFastRegister: (p, ctx, mr, n, pages, fbo, len, base, flags) =>
    rung(p, fastRegister(p, ctx, mr, n, pages, fbo, len, base, flags)),
  NdkInvalidate: (p, ctx, target, flags) => rung(p, invalidate(p, ctx, target, flags)),
  NdkRead: (p, ctx, sges, n, ra, token, flags) => rung(p, rdma("NdkRead", p, ctx, sges, n, ra, token, flags)),
  NdkWrite: (p, ctx, sges, n, ra, token, flags) => rung(p, rdma("NdkWrite", p, ctx, sges, n, ra, token, flags)),
  NdkSendAndInvalidate: (p, ctx, sges, n, flags, token) => rung(p, sendAndInvalidate(p, ctx, sges, n, flags, token))
}

/** The QP dispatch table. */
export const qpDispatch: NdkQpDispatch = {
  NdkCloseQp: (pNdkQp, completion, context) =>
    Effect.suspend(() => {
      const qp = findQp(pNdkQp)
      if (qp === undefined) return Effect.succeed(S.STATUS_SUCCESS)
      // no connector bound: flush now, so every outstanding WR has its CANCELLED entry before the close
      // returns or completes (R29). With a connector the QP keeps working until the connector closes (R28),
      // whose close flushes it.
      if (qp.rec.state === 1 && qp.rec.successors === 0) qp.toError()
      const destroy = Effect.sync(() => {
        qp.toError()
        qp.conn = "disconnected"
      }).pipe(Effect.zipRight(Effect.match(qp.adapter.core.nic.destroyQp(qp.qpn), {
        onFailure: (e) => e.code !== NicCode.BUSY,
        onSuccess: () => true
      })))
      return close(qp, completion, context, Effect.void, destroy)
    }),
  NdkQueryExtension: queryExtension,
  NdkFlush: (pNdkQp) =>
    Effect.sync(() => {
      const qp = findQp(pNdkQp)
      if (qp !== undefined && qp.rec.state !== 3) qp.toError()
    }),
  NdkSend: (...a) => Effect.sync(() => qpUnsafe.NdkSend(...a)),
  NdkReceive: (...a) => Effect.sync(() => receive(...a)),
  NdkBind: (...a) => Effect.sync(() => qpUnsafe.NdkBind(...a)),
  NdkFastRegister: (...a) => Effect.sync(() => qpUnsafe.NdkFastRegister(...a)),
  NdkInvalidate: (...a) => Effect.sync(() => qpUnsafe.NdkInvalidate(...a)),
  NdkRead: (...a) => Effect.sync(() => qpUnsafe.NdkRead(...a)),
  NdkWrite: (...a) => Effect.sync(() => qpUnsafe.NdkWrite(...a)),
  NdkSendAndInvalidate: (...a) => Effect.sync(() => qpUnsafe.NdkSendAndInvalidate(...a))
}

interface QpParams {
  readonly receiveCq: NdkCq
  readonly initiatorCq: NdkCq
  readonly srq: NdkSrq | undefined
  readonly context: unknown
  readonly rqDepth: number
  readonly iqDepth: number
  readonly maxReceiveSge: number
  readonly maxInitiatorSge: number
  readonly inline: number
}

const u32 = (n: number, max: number): boolean => Number.isInteger(n) && n >= 0 && n <= max

const makeQp = (
  pd: PdImpl,
  q: QpParams,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkQp>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const rcq = lookup<CqImpl>(q.receiveCq, CQ)
    const icq = lookup<CqImpl>(q.initiatorCq, CQ)
    if (rcq === undefined || icq === undefined || rcq.adapter !== pd.adapter || icq.adapter !== pd.adapter) {
      return Effect.succeed(BAD)
    }
    let srq: SrqImpl | undefined
    if (q.srq !== undefined) {
      srq = lookup<SrqImpl>(q.srq, SRQ)
      if (srq === undefined || srq.pd !== pd) return Effect.succeed(BAD)
    }
    const info = pd.adapter.info
    if (
      !u32(q.iqDepth, info.MaxInitiatorQueueDepth) || !u32(q.maxInitiatorSge, info.MaxInitiatorRequestSge) ||
      !u32(q.inline, info.MaxInlineDataSize) ||
      (srq === undefined &&
        (!u32(q.rqDepth, info.MaxReceiveQueueDepth) || !u32(q.maxReceiveSge, info.MaxReceiveRequestSge)))
    ) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    const antecedents = [rcq.rec, icq.rec, ...(srq !== undefined ? [srq.rec] : [])]
    return create<NdkQp>(pd, T, antecedents, completion, context, out, (rec) =>
      Effect.gen(function*() {
        const impl = new QpImpl(pd, rec, rcq, icq, srq, q.context, q.maxReceiveSge, q.maxInitiatorSge, q.inline)
        const made = yield* Effect.either(pd.adapter.core.nic.createQp({
          pd: pd.handle,
          sendCq: icq.handle.current,
          recvCq: rcq.handle.current,
          ...(srq !== undefined ? { srq: srq.handle } : {}),
          sqDepth: Math.max(1, q.iqDepth),
          rqDepth: srq !== undefined ? 1 : Math.max(1, q.rqDepth),
          maxSendSge: Math.max(1, q.maxInitiatorSge),
          maxRecvSge: Math.max(1, q.maxReceiveSge),
          maxInline: q.inline
        }))
        if (made._tag === "Left") return fromNic(made.left.code)
        impl.qpn = made.right
        pd.adapter.qpContexts.set(made.right, impl)
        const object: NdkQp = { ...makeObject(T, pd.adapter.version, qpDispatch), unsafe: qpUnsafe }
        impl.object = object
        register(object, impl)
        return { object, undo: Effect.void }
      }))
  })

/** `NdkCreateQp` (R50). */
export const createQp = (
  pd: PdImpl,
  receiveCq: NdkCq,
  initiatorCq: NdkCq,
  qpContext: unknown,
  rqDepth: number,
  iqDepth: number,
  maxReceiveSge: number,
  maxInitiatorSge: number,
  inline: number,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkQp>
): Effect.Effect<number> =>
  makeQp(
    pd,
    {
      receiveCq,
      initiatorCq,
      srq: undefined,
      context: qpContext,
      rqDepth,
      iqDepth,
      maxReceiveSge,
      maxInitiatorSge,
      inline
    },
    completion,
    context,
    out
  )

/** `NdkCreateQpWithSrq` (R51). */
export const createQpWithSrq = (
  pd: PdImpl,
  receiveCq: NdkCq,
  initiatorCq: NdkCq,
  srq: NdkSrq,
  qpContext: unknown,
  iqDepth: number,
  maxInitiatorSge: number,
  inline: number,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkQp>
): Effect.Effect<number> =>
  Effect.suspend(() =>
    typeof srq !== "object" || srq === null ? Effect.succeed(BAD) : makeQp(
      pd,
      {
        receiveCq,
        initiatorCq,
        srq,
        context: qpContext,
        rqDepth: 0,
        iqDepth,
        maxReceiveSge: 0,
        maxInitiatorSge,
        inline
      },
      completion,
      context,
      out
    )
  )
