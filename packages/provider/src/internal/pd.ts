/**
 * Protection domains (SPEC.md §6.4): the parent of MRs, MWs, SRQs and QPs, and the privileged token.
 */
import { NicCode } from "@effect-ndk/hardware/NicCode"
import type { Lifetime } from "@effect-ndk/lifetime"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type { NdkCreateCompletion, NdkPd, NdkPdDispatch } from "@effect-ndk/ndkpi/RawInterface"
import * as Effect from "effect/Effect"
import type { AdapterImpl } from "./adapter.js"
import { createMr } from "./mr.js"
import { createMw } from "./mw.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import { close, create, lookup, makeObject, queryExtension, register, validate } from "./object.js"
import { createQp, createQpWithSrq } from "./qp.js"
import { createSrq } from "./srq.js"
import { fromNic } from "./status.js"

const S = NtStatus
const T = NdkObjectType.NdkObjectTypePd

/** The provider record of a PD. */
export class PdImpl implements ObjectImpl {
  readonly type = T
  readonly ops = new Set<PendingOp>()
  object!: NdkPd
  constructor(readonly adapter: AdapterImpl, readonly rec: Lifetime.LifetimeObject, readonly handle: number) {}
}

/** Finds an Open PD, or the status to return. */
export const asPd = (p: unknown): PdImpl | number => validate<PdImpl>(p, T)

const onPd = (p: unknown, f: (pd: PdImpl) => Effect.Effect<number>): Effect.Effect<number> =>
  Effect.suspend(() => {
    const pd = asPd(p)
    return typeof pd === "number" ? Effect.succeed(pd) : f(pd)
  })

/** The PD dispatch table. */
export const pdDispatch: NdkPdDispatch = {
  NdkClosePd: (pNdkPd, completion, context) =>
    Effect.suspend(() => {
      const pd = lookup<PdImpl>(pNdkPd, T)
      if (pd === undefined) return Effect.succeed(S.STATUS_SUCCESS)
      const destroy = Effect.match(pd.adapter.core.nic.freePd(pd.handle), {
        onFailure: (e) => e.code !== NicCode.BUSY,
        onSuccess: () => true
      })
      return close(pd, completion, context, Effect.void, destroy)
    }),
  NdkQueryExtension: queryExtension,
  NdkCreateMr: (pNdkPd, ...rest) => onPd(pNdkPd, (pd) => createMr(pd, ...rest)),
  NdkCreateMw: (pNdkPd, ...rest) => onPd(pNdkPd, (pd) => createMw(pd, ...rest)),
  NdkCreateSrq: (pNdkPd, ...rest) => onPd(pNdkPd, (pd) => createSrq(pd, ...rest)),
  NdkCreateQp: (pNdkPd, ...rest) => onPd(pNdkPd, (pd) => createQp(pd, ...rest)),
  NdkCreateQpWithSrq: (pNdkPd, ...rest) => onPd(pNdkPd, (pd) => createQpWithSrq(pd, ...rest)),
  NdkGetPrivilegedMemoryRegionToken: (pNdkPd, pToken) =>
    Effect.sync(() => {
      const pd = asPd(pNdkPd)
      if (typeof pd === "number" || typeof pToken !== "object" || pToken === null) return
      pToken.value = pd.adapter.core.nic.privilegedKey >>> 0
    })
}

/** `NdkCreatePd`. */
export const createPd = (
  adapter: AdapterImpl,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkPd>
): Effect.Effect<number> =>
  create<NdkPd>(adapter, T, [], completion, context, out, (rec) =>
    Effect.gen(function*() {
      const made = yield* Effect.either(adapter.core.nic.allocPd)
      if (made._tag === "Left") return fromNic(made.left.code)
      const impl = new PdImpl(adapter, rec, made.right)
      const object = makeObject(T, adapter.version, pdDispatch)
      impl.object = object
      register(object, impl)
      return { object, undo: Effect.void }
    }))
