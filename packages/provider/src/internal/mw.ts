/**
 * Memory windows (SPEC.md §6.6, §11.5): created unbound; bound by `NdkBind` (edge MR → MW), unbound by
 * `NdkInvalidate`.
 */
import { NicCode } from "@effect-ndk/hardware/NicCode"
import type { Lifetime } from "@effect-ndk/lifetime"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type { NdkCreateCompletion, NdkMw, NdkMwDispatch } from "@effect-ndk/ndkpi/RawInterface"
import * as Effect from "effect/Effect"
import type { MrImpl } from "./mr.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import { close, create, lookup, makeObject, queryExtension, register } from "./object.js"
import type { PdImpl } from "./pd.js"
import { fromNic } from "./status.js"

const S = NtStatus
const T = NdkObjectType.NdkObjectTypeMw

/** The provider record of an MW. */
export class MwImpl implements ObjectImpl {
  readonly type = T
  readonly ops = new Set<PendingOp>()
  /** the MR it is bound to (edge MR → MW in the kernel) */
  boundTo: MrImpl | undefined = undefined
  object!: NdkMw
  constructor(readonly pd: PdImpl, readonly rec: Lifetime.LifetimeObject, readonly handle: number) {}
  get adapter() {
    return this.pd.adapter
  }
}

/** Finds an MW of any state. */
export const findMw = (p: unknown): MwImpl | undefined => lookup<MwImpl>(p, T)

/** The MW dispatch table. */
export const mwDispatch: NdkMwDispatch = {
  NdkCloseMw: (pNdkMw, completion, context) =>
    Effect.suspend(() => {
      const mw = findMw(pNdkMw)
      if (mw === undefined) return Effect.succeed(S.STATUS_SUCCESS)
      const destroy = Effect.match(mw.adapter.core.nic.destroyMw(mw.handle), {
        onFailure: (e) => e.code !== NicCode.BUSY,
        onSuccess: () => true
      })
      return close(mw, completion, context, Effect.void, destroy)
    }),
  NdkQueryExtension: queryExtension,
  NdkGetRemoteTokenFromMw: (pNdkMw) =>
    Effect.sync(() => {
      const mw = findMw(pNdkMw)
      if (mw === undefined) return 0
      const k = mw.adapter.core.nic.mwKey(mw.handle)
      return k < 0 ? 0 : k >>> 0
    })
}

/** `NdkCreateMw`. */
export const createMw = (
  pd: PdImpl,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkMw>
): Effect.Effect<number> =>
  create<NdkMw>(pd, T, [], completion, context, out, (rec) =>
    Effect.gen(function*() {
      const made = yield* Effect.either(pd.adapter.core.nic.createMw(pd.handle))
      if (made._tag === "Left") return fromNic(made.left.code)
      const impl = new MwImpl(pd, rec, made.right)
      const object = makeObject(T, pd.adapter.version, mwDispatch)
      impl.object = object
      register(object, impl)
      return { object, undo: Effect.void }
    }))
