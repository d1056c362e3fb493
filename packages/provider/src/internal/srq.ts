/**
 * Shared receive queues (SPEC.md §6.7, §10.8): create, modify (depth / threshold re-arm), receive, and the
 * threshold notification (one-shot, serialized per SRQ, delivered from a provider fiber).
 */
import { Sgl } from "@effect-ndk/hardware/Nic"
import { NicCode } from "@effect-ndk/hardware/NicCode"
import type { Lifetime } from "@effect-ndk/lifetime"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  GroupAffinity,
  NdkCreateCompletion,
  NdkSrq,
  NdkSrqDispatch,
  NdkSrqNotificationCallback,
  NdkSrqUnsafe
} from "@effect-ndk/ndkpi/RawInterface"
import type { NdkSge } from "@effect-ndk/ndkpi/Sge"
import * as Effect from "effect/Effect"
import { Notifier } from "./notifier.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import {
  close,
  create,
  lookup,
  makeObject,
  queryExtension,
  refuse,
  register,
  request,
  toSgl,
  validate
} from "./object.js"
import type { PdImpl } from "./pd.js"
import { fromNic } from "./status.js"

const S = NtStatus
const T = NdkObjectType.NdkObjectTypeSrq

/** The provider record of an SRQ. */
export class SrqImpl implements ObjectImpl {
  readonly type = T
  readonly ops = new Set<PendingOp>()
  sgl: Sgl
  object!: NdkSrq
  handle = -1
  constructor(
    readonly pd: PdImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly maxSge: number,
    readonly callback: NdkSrqNotificationCallback | null,
    readonly context: unknown
  ) {
    this.sgl = new Sgl(Math.max(1, maxSge))
  }
  get adapter() {
    return this.pd.adapter
  }

  onNicEvent(code: number): void {
    if (this.callback === null) return
    if (code === NicCode.SRQ_LIMIT) this.enqueue(S.STATUS_SUCCESS)
    else if (code === NicCode.DEVICE_FATAL) this.enqueue(S.STATUS_INTERNAL_ERROR)
  }

  /** Serialized delivery of this SRQ's notifications (one long-lived fiber). */
  private readonly notifier: Notifier = new Notifier(
    this,
    (status) => this.callback === null ? Effect.void : this.callback(this.context, status),
    () => undefined
  )

  private enqueue(status: number): void {
    this.notifier.enqueue(status)
  }

  /** The close's cancel step: queued notifications are dropped (R19). */
  clearNotifications(): void {
    this.notifier.clear()
  }

  /** After the close was requested: a parked delivery fiber ends. */
  stopNotifications(): void {
    this.notifier.stop()
  }

  receiveSync(context: unknown, sges: ReadonlyArray<NdkSge>, nSge: number): number {
    if (this.rec.state !== 1) return refuse(this)
    if (nSge > this.maxSge) return S.STATUS_DATA_OVERRUN
    const sgl = toSgl(this, sges, nSge)
    if (typeof sgl === "number") return sgl
    return fromNic(this.adapter.core.nic.postSrqReceive(this.handle, context, sgl))
  }
}

/** Finds an SRQ of any state. */
export const findSrq = (p: unknown): SrqImpl | undefined => lookup<SrqImpl>(p, T)

const srqReceive = (p: NdkSrq, context: unknown, sges: ReadonlyArray<NdkSge>, nSge: number): number => {
  const srq = findSrq(p)
  return srq === undefined ? S.STATUS_INVALID_PARAMETER : srq.receiveSync(context, sges, nSge)
}

/** Synchronous twin of `NdkSrqReceive`. */
export const srqUnsafe: NdkSrqUnsafe = { NdkSrqReceive: srqReceive }

/** The SRQ dispatch table. */
export const srqDispatch: NdkSrqDispatch = {
  NdkCloseSrq: (pNdkSrq, completion, context) =>
    Effect.suspend(() => {
      const srq = findSrq(pNdkSrq)
      if (srq === undefined) return Effect.succeed(S.STATUS_SUCCESS)
      const cancel = Effect.sync(() => srq.clearNotifications())
      const destroy = Effect.match(srq.adapter.core.nic.destroySrq(srq.handle), {
        onFailure: (e) => e.code !== NicCode.BUSY,
        onSuccess: () => true
      })
      return Effect.tap(close(srq, completion, context, cancel, destroy), () => srq.stopNotifications())
    }),
  NdkQueryExtension: queryExtension,
  NdkModifySrq: (pNdkSrq, depth, threshold, completion, context) =>
    Effect.suspend(() => {
      const srq = validate<SrqImpl>(pNdkSrq, T)
      if (typeof srq === "number") return Effect.succeed(srq)
      if (!Number.isInteger(depth) || depth < 0 || depth > srq.adapter.info.MaxSrqDepth) {
        return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      }
      if (!Number.isInteger(threshold) || threshold < 0) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      const nic = srq.adapter.core.nic
      if (depth > 0 && depth < nic.srqCount(srq.handle)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      const work = Effect.match(nic.modifySrq(srq.handle, depth, threshold), {
        onFailure: (e) => e.code === NicCode.QUEUE_FULL ? S.STATUS_INVALID_PARAMETER : fromNic(e.code),
        onSuccess: () => S.STATUS_SUCCESS
      })
      return request(srq, completion, context, work)
    }),
  NdkSrqReceive: (pNdkSrq, context, sges, nSge) => Effect.sync(() => srqReceive(pNdkSrq, context, sges, nSge))
}

/** `NdkCreateSrq` (R52): depth 1..MaxSrqDepth, SGEs ≤ MaxReceiveRequestSge; no SRQ support ⇒ NOT_SUPPORTED. */
export const createSrq = (
  pd: PdImpl,
  depth: number,
  maxSge: number,
  threshold: number,
  notification: NdkSrqNotificationCallback | null,
  notificationContext: unknown,
  _affinity: GroupAffinity | null,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkSrq>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const info = pd.adapter.info
    if (info.MaxSrqDepth === 0) return Effect.succeed(S.STATUS_NOT_SUPPORTED)
    if (!(Number.isInteger(depth) && depth > 0 && depth <= info.MaxSrqDepth)) {
      return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    }
    if (!(Number.isInteger(maxSge) && maxSge >= 0 && maxSge <= info.MaxReceiveRequestSge)) {
      return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    }
    if (!(Number.isInteger(threshold) && threshold >= 0)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    const cb = typeof notification === "function" ? notification : null
    return create<NdkSrq>(pd, T, [], completion, context, out, (rec) =>
      Effect.gen(function*() {
        const impl = new SrqImpl(pd, rec, maxSge, cb, notificationContext)
        const made = yield* Effect.either(pd.adapter.core.nic.createSrq({
          pd: pd.handle,
          depth,
          maxSge: Math.max(1, maxSge),
          limit: threshold,
          onEvent: { sync: (code) => impl.onNicEvent(code) }
        }))
        if (made._tag === "Left") return fromNic(made.left.code)
        impl.handle = made.right
        const object: NdkSrq = { ...makeObject(T, pd.adapter.version, srqDispatch), unsafe: srqUnsafe }
        impl.object = object
        register(object, impl)
        return { object, undo: Effect.void }
      }))
  })
