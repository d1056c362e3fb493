/**
 * Completion queues (SPEC.md §6.3, §10.7): create/resize/arm/poll (plain and Ex), interrupt moderation,
 * notifications serialized per CQ and delivered from provider fibers, overrun/fatal reporting held until an arm.
 */
import { CqResults } from "@effect-ndk/hardware/Nic"
import { Arm, NicCode } from "@effect-ndk/hardware/NicCode"
import type { Lifetime } from "@effect-ndk/lifetime"
import { NdkAdapterFlag } from "@effect-ndk/ndkpi/AdapterFlag"
import { MAXULONG } from "@effect-ndk/ndkpi/Constants"
import { NdkCqNotifyType } from "@effect-ndk/ndkpi/CqNotifyType"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { NdkOperationType } from "@effect-ndk/ndkpi/OperationType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  GroupAffinity,
  NdkCq,
  NdkCqDispatch,
  NdkCqNotificationCallback,
  NdkCqUnsafe,
  NdkCreateCompletion
} from "@effect-ndk/ndkpi/RawInterface"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type { AdapterImpl } from "./adapter.js"
import { Notifier } from "./notifier.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import {
  close,
  create,
  lookup,
  makeObject,
  nicStatus,
  queryExtension,
  refuse,
  register,
  request,
  ulong,
  validate
} from "./object.js"
import { fromNic, operationType } from "./status.js"

const S = NtStatus
const T = NdkObjectType.NdkObjectTypeCq
const NONE = -1
const { NDK_CQ_NOTIFY_ANY: ANY, NDK_CQ_NOTIFY_ERRORS: ERRORS, NDK_CQ_NOTIFY_SOLICITED: SOLICITED } = NdkCqNotifyType

/** Combination of two arms (SPEC.md §10.7 table): ANY ⊃ SOLICITED ⊃ ERRORS. */
export const combineArm = (current: number, next: number): number =>
  current === ANY || next === ANY
    ? ANY
    : current === SOLICITED || next === SOLICITED
    ? SOLICITED
    : ERRORS

/** What a QP registers so completions can carry its QPContext. */
export interface QpContextSource {
  readonly context: unknown
}

/** The provider record of a CQ. */
export class CqImpl implements ObjectImpl {
  readonly type = T
  readonly ops = new Set<PendingOp>()
  /** provider-side arm: NONE, or an NDK_CQ_NOTIFY_* value */
  arm = NONE
  /** 0, or the NTSTATUS of the CQ's failure (overrun / fatal) */
  errorStatus = 0
  errorReported = false
  moderationInterval = 0
  moderationCount = 0
  readonly buffer = new CqResults(64)
  object!: NdkCq
  constructor(
    readonly adapter: AdapterImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly handle: { current: number },
    public depth: number,
    readonly callback: NdkCqNotificationCallback,
    readonly context: unknown,
    readonly qpContexts: Map<number, QpContextSource>
  ) {}

  /** A NIC event for this CQ (engine fiber): a satisfied arm, an overrun, a fatal error. */
  onNicEvent(code: number): void {
    if (code === NicCode.CQ_NOTIFY) {
      if (this.arm !== ANY && this.arm !== SOLICITED) return
      this.arm = NONE
      this.notifier.raiseFromEngine(S.STATUS_SUCCESS)
      return
    }
    if (code !== NicCode.CQ_OVERRUN && code !== NicCode.DEVICE_FATAL) return
    if (this.errorStatus !== 0) return
    this.errorStatus = fromNic(code)
    if (this.arm !== NONE) {
      this.arm = NONE
      this.errorReported = true
      this.notifier.raiseFromEngine(this.errorStatus)
    }
  }

  private twinOf: ((context: unknown, status: number) => void) | undefined = undefined
  private twin: ((status: number) => void) | undefined = undefined
  /** The consumer's synchronous twin of its callback, bound to this CQ's context (undefined: none). */
  private unsafeCallback(): ((status: number) => void) | undefined {
    const u = this.callback.unsafe
    if (u === undefined) return undefined
    if (u !== this.twinOf) {
      this.twinOf = u
      this.twin = (status) => u(this.context, status)
    }
    return this.twin
  }

  /** Serialized delivery of this CQ's notifications (one long-lived fiber, R63; or the callback's sync twin). */
  readonly notifier: Notifier = new Notifier(
    this,
    (status) => this.callback(this.context, status),
    (status) => status === S.STATUS_SUCCESS ? this.moderation() : undefined,
    () => this.unsafeCallback()
  )

  /** Queues one notification; the CQ's delivery fiber raises it (never inside the call that queued it). */
  enqueue(status: number): void {
    this.notifier.enqueue(status)
  }

  /**
   * Interrupt moderation (SPEC.md §6.3): a satisfied arm's notification waits until `ModerationCount`
   * completions are queued or `ModerationInterval` µs passed, whichever comes first. Interval 0 or count 0/1 ⇒ no
   * moderation; interval MAXULONG ⇒ only the count governs; count MAXULONG or > depth ⇒ only the interval. A wait
   * on the count alone is capped at one second so a notification is never withheld indefinitely.
   */
  private moderation(): Effect.Effect<void> | undefined {
    const interval = this.moderationInterval
    const count = this.moderationCount
    if (interval === 0 || count === 0 || count === 1) return undefined
    const byCount = count !== MAXULONG && count <= this.depth
    if (interval === MAXULONG && !byCount) return undefined
    const limitUs = interval === MAXULONG ? 1_000_000 : interval
    const stepUs = Math.max(1, Math.min(limitUs, 10))
    const nic = this.adapter.core.nic
    return Effect.suspend(() => {
      let waited = 0
      const loop: Effect.Effect<void> = Effect.suspend(() => {
        if (waited >= limitUs || (byCount && nic.cqCount(this.handle.current) >= count)) return Effect.void
        waited += stepUs
        return Effect.zipRight(Effect.sleep(Duration.micros(BigInt(stepUs))), loop)
      })
      return loop
    })
  }

  armSync(type: number): void {
    if (this.rec.state !== 1) {
      refuse(this)
      return
    }
    if (type !== ANY && type !== ERRORS && type !== SOLICITED) return
    // a notification decided but not started yet (queued, or waiting out moderation) is raised when its callback
    // starts: an arm made until then merges into it (the §10.7 combination with a satisfied arm — whatever this
    // arm's type — is that pending notification) and is consumed by it (rule 1), so it raises nothing more
    // (a CQ error that came meanwhile is reported at the next arm)
    if (this.notifier.pending) return
    if (this.errorStatus !== 0) {
      if (!this.errorReported) {
        this.errorReported = true
        this.enqueue(this.errorStatus)
      }
      return
    }
    const next = this.arm === NONE ? type : combineArm(this.arm, type)
    this.arm = next
    if (next === ANY) this.adapter.core.nic.armCq(this.handle.current, Arm.NEXT)
    else if (next === SOLICITED) this.adapter.core.nic.armCq(this.handle.current, Arm.SOLICITED)
  }

  pollSync(results: Array<NdkResult>, nResults: number, ex: boolean): number {
    if (this.rec.state !== 1 && this.rec.state !== 2) return 0
    if (!Array.isArray(results) || !(ulong(nResults) > 0)) return 0
    const nic = this.adapter.core.nic
    const want = nResults >>> 0
    // ProviderErrorCode [2.1] exists only in NDK_RESULT_EX
    const with21 = ex && NdkVersion.isAtLeast(this.adapter.version, NdkVersion.V2_1)
    const b = this.buffer
    let total = 0
    let lastQpn = -1
    let lastQp: QpContextSource | undefined = undefined
    while (total < want) {
      const asked = Math.min(b.capacity, want - total)
      const n = nic.pollCq(this.handle.current, b, asked)
      for (let i = 0; i < n; i++) {
        const code = b.status[i]!
        const status = fromNic(code)
        const qpn = b.qpn[i]!
        if (qpn !== lastQpn) {
          lastQpn = qpn
          lastQp = this.qpContexts.get(qpn)
        }
        const qp = lastQp
        const base: NdkResult = {
          Status: status,
          BytesTransferred: b.bytes[i]!,
          QPContext: qp?.context,
          RequestContext: b.context[i]
        }
        if (ex) {
          const type = operationType(b.opcode[i]!) as NdkOperationType
          const r: NdkResultEx = {
            ...base,
            Type: type,
            ProviderErrorCode: with21 && code !== 0 ? code : 0,
            TypeSpecificCompletionOutput: type === 0x8001 ? b.key[i]! : 0
          }
          results[total + i] = r
        } else {
          results[total + i] = base
        }
        b.context[i] = undefined
      }
      total += n
      if (n < asked) break
    }
    return total
  }
}

const asCq = (p: unknown): CqImpl | undefined => lookup<CqImpl>(p, T)

const armCq = (pNdkCq: NdkCq, type: number): void => asCq(pNdkCq)?.armSync(type)
const getResults = (pNdkCq: NdkCq, results: Array<NdkResult>, n: number): number =>
  asCq(pNdkCq)?.pollSync(results, n, false) ?? 0
const getResultsEx = (pNdkCq: NdkCq, results: Array<NdkResultEx>, n: number): number => {
  const cq = asCq(pNdkCq)
  // [1.2]: refused (no results) on an adapter that negotiated 1.1
  if (cq === undefined || !NdkVersion.isAtLeast(cq.adapter.version, NdkVersion.V1_2)) return 0
  return cq.pollSync(results, n, true)
}

/** Synchronous twins of arm and poll. */
export const cqUnsafe: NdkCqUnsafe = {
  NdkArmCq: armCq,
  NdkGetCqResults: getResults,
  NdkGetCqResultsEx: getResultsEx
}

/** The CQ dispatch table. */
export const cqDispatch: NdkCqDispatch = {
  NdkCloseCq: (pNdkCq, completion, context) =>
    Effect.suspend(() => {
      const cq = asCq(pNdkCq)
      if (cq === undefined) return Effect.succeed(S.STATUS_SUCCESS)
      const cancel = Effect.sync(() => {
        // an armed notification is discarded (R18, §8.8); none starts after the close call (R19)
        cq.arm = NONE
        cq.notifier.clear()
      })
      const destroy = Effect.suspend(() => {
        const h = cq.handle.current
        return Effect.match(cq.adapter.core.nic.destroyCq(h), {
          onFailure: (e) => e.code !== NicCode.BUSY,
          onSuccess: () => true
        })
      })
      cq.arm = NONE
      // once the close was requested a parked delivery fiber ends (no notification starts after it, R19)
      return Effect.tap(close(cq, completion, context, cancel, destroy), () => cq.notifier.stop())
    }),
  NdkQueryExtension: queryExtension,
  NdkResizeCq: (pNdkCq, depth, completion, context) =>
    Effect.suspend(() => {
      const cq = validate<CqImpl>(pNdkCq, T)
      if (typeof cq === "number") return Effect.succeed(cq)
      const info = cq.adapter.info
      if ((info.AdapterFlags & NdkAdapterFlag.NDK_ADAPTER_FLAG_CQ_RESIZE_SUPPORTED) === 0) {
        return Effect.succeed(S.STATUS_NOT_SUPPORTED)
      }
      if (!(Number.isInteger(depth) && depth > 0 && depth <= info.MaxCqDepth)) {
        return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      }
      const work = Effect.map(nicStatus(cq.adapter.core.nic.resizeCq(cq.handle.current, depth)), (st) => {
        if (st === S.STATUS_SUCCESS) cq.depth = depth
        return st
      })
      return request(cq, completion, context, work)
    }),
  NdkArmCq: (pNdkCq, type) => Effect.sync(() => armCq(pNdkCq, type)),
  NdkGetCqResults: (pNdkCq, results, n) => Effect.sync(() => getResults(pNdkCq, results, n)),
  NdkControlCqInterruptModeration: (pNdkCq, interval, count) =>
    Effect.sync(() => {
      const cq = validate<CqImpl>(pNdkCq, T)
      if (typeof cq === "number") return cq
      if ((cq.adapter.info.AdapterFlags & NdkAdapterFlag.NDK_ADAPTER_FLAG_CQ_INTERRUPT_MODERATION_SUPPORTED) === 0) {
        return S.STATUS_NOT_SUPPORTED
      }
      const i = ulong(interval)
      const c = ulong(count)
      if (i < 0 || c < 0) return S.STATUS_INVALID_PARAMETER
      if (i === MAXULONG && (c === MAXULONG || c > cq.depth)) return S.STATUS_INVALID_PARAMETER_MIX
      cq.moderationInterval = i
      cq.moderationCount = c
      return S.STATUS_SUCCESS
    }),
  NdkGetCqResultsEx: (pNdkCq, results, n) => Effect.sync(() => getResultsEx(pNdkCq, results, n))
}

/** `NdkCreateCq` (SPEC.md §6.2): depth 1..MaxCqDepth (R49), a notification callback, not armed. */
export const createCq = (
  adapter: AdapterImpl,
  depth: number,
  notification: NdkCqNotificationCallback,
  notificationContext: unknown,
  _affinity: GroupAffinity | null,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkCq>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    if (!(Number.isInteger(depth) && depth > 0 && depth <= adapter.info.MaxCqDepth)) {
      return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    }
    if (typeof notification !== "function") return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    return create<NdkCq>(adapter, T, [], completion, context, out, (rec) =>
      Effect.gen(function*() {
        const handle = { current: -1 }
        const impl = new CqImpl(adapter, rec, handle, depth, notification, notificationContext, adapter.qpContexts)
        const made = yield* Effect.either(
          adapter.core.nic.createCq(depth, { sync: (code) => impl.onNicEvent(code) })
        )
        if (made._tag === "Left") return fromNic(made.left.code)
        handle.current = made.right
        const object: NdkCq = { ...makeObject(T, adapter.version, cqDispatch), unsafe: cqUnsafe }
        impl.object = object
        register(object, impl)
        return { object, undo: Effect.void }
      }))
  })
