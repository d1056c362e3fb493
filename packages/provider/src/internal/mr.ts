/**
 * Memory regions (SPEC.md §6.5, §11): register/deregister over host VAs named by an MDL, fast-register
 * initialization, tokens.
 */
import { NicCode } from "@effect-ndk/hardware/NicCode"
import type { Lifetime } from "@effect-ndk/lifetime"
import * as Mdl from "@effect-ndk/ndkpi/Mdl"
import * as MrFlag from "@effect-ndk/ndkpi/MrFlag"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type { NdkCreateCompletion, NdkMr, NdkMrDispatch } from "@effect-ndk/ndkpi/RawInterface"
import * as Effect from "effect/Effect"
import type { ObjectImpl, PendingOp } from "./object.js"
import {
  close,
  create,
  isMdl,
  lookup,
  makeObject,
  nicStatus,
  queryExtension,
  register,
  request,
  size,
  validate
} from "./object.js"
import type { PdImpl } from "./pd.js"
import { fromNic } from "./status.js"

const S = NtStatus
const T = NdkObjectType.NdkObjectTypeMr

/** The provider record of an MR. */
export class MrImpl implements ObjectImpl {
  readonly type = T
  readonly ops = new Set<PendingOp>()
  /** a registration (or FR initialization) is in place */
  registered = false
  object!: NdkMr
  constructor(
    readonly pd: PdImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly handle: number,
    readonly fastRegister: boolean
  ) {}
  get adapter() {
    return this.pd.adapter
  }
}

/** Finds an MR of any state (for bind / invalidate targets). */
export const findMr = (p: unknown): MrImpl | undefined => lookup<MrImpl>(p, T)

const token = (p: NdkMr): number => {
  const mr = findMr(p)
  if (mr === undefined) return 0
  const k = mr.adapter.core.nic.mrKey(mr.handle)
  return k < 0 ? 0 : k >>> 0
}

/** The MR dispatch table. */
export const mrDispatch: NdkMrDispatch = {
  NdkCloseMr: (pNdkMr, completion, context) =>
    Effect.suspend(() => {
      const mr = findMr(pNdkMr)
      if (mr === undefined) return Effect.succeed(S.STATUS_SUCCESS)
      const destroy = Effect.match(mr.adapter.core.nic.destroyMr(mr.handle), {
        onFailure: (e) => e.code !== NicCode.BUSY,
        onSuccess: () => true
      })
      return close(mr, completion, context, Effect.void, destroy)
    }),
  NdkQueryExtension: queryExtension,
  NdkRegisterMr: (pNdkMr, mdl, length, flags, completion, context) =>
    Effect.suspend(() => {
      const mr = validate<MrImpl>(pNdkMr, T)
      if (typeof mr === "number") return Effect.succeed(mr)
      if (mr.fastRegister) return Effect.succeed(S.STATUS_INVALID_DEVICE_REQUEST)
      if (mr.registered) return Effect.succeed(S.STATUS_INVALID_DEVICE_STATE)
      if (!MrFlag.isValid(flags)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      if (!isMdl(mdl)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      const len = size(length)
      if (len === undefined || len <= 0n || len > mr.adapter.info.MaxRegistrationSize) {
        return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      }
      if (mdl.virtualAddress === 0n || !Mdl.isContiguousFor(mdl, len)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      mr.registered = true
      const nic = mr.adapter.core.nic
      const work = Effect.map(
        nicStatus(nic.registerMr(mr.handle, Number(mdl.virtualAddress), Number(len), flags >>> 0)),
        (st) => {
          if (st !== S.STATUS_SUCCESS) mr.registered = false
          return st
        }
      )
      return Effect.map(request(mr, completion, context, work), (st) => {
        if (st === S.STATUS_CANCELLED) mr.registered = false
        return st
      })
    }),
  NdkDeregisterMr: (pNdkMr, completion, context) =>
    Effect.suspend(() => {
      const mr = validate<MrImpl>(pNdkMr, T)
      if (typeof mr === "number") return Effect.succeed(mr)
      if (mr.fastRegister) return Effect.succeed(S.STATUS_INVALID_DEVICE_REQUEST)
      if (!mr.registered) return Effect.succeed(S.STATUS_INVALID_DEVICE_STATE)
      const work = Effect.map(nicStatus(mr.adapter.core.nic.deregisterMr(mr.handle)), (st) => {
        if (st === S.STATUS_SUCCESS) mr.registered = false
        return st
      })
      return request(mr, completion, context, work)
    }),
  NdkInitializeFastRegisterMr: (pNdkMr, pageCount, remoteAccess, completion, context) =>
    Effect.suspend(() => {
      const mr = validate<MrImpl>(pNdkMr, T)
      if (typeof mr === "number") return Effect.succeed(mr)
      if (!mr.fastRegister) return Effect.succeed(S.STATUS_INVALID_DEVICE_REQUEST)
      if (!(Number.isInteger(pageCount) && pageCount > 0)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      if (pageCount > mr.adapter.core.nic.info.maxFrPages) return Effect.succeed(S.STATUS_IMPLEMENTATION_LIMIT)
      const work = Effect.map(
        Effect.either(mr.adapter.core.nic.initFastRegister(mr.handle, pageCount, remoteAccess === true)),
        (r) => {
          if (r._tag === "Right") {
            mr.registered = true
            return S.STATUS_SUCCESS
          }
          return r.left.code === NicCode.LIMIT_EXCEEDED ? S.STATUS_IMPLEMENTATION_LIMIT : fromNic(r.left.code)
        }
      )
      return request(mr, completion, context, work)
    }),
  NdkGetRemoteTokenFromMr: (pNdkMr) => Effect.sync(() => token(pNdkMr)),
  NdkGetLocalTokenFromMr: (pNdkMr) => Effect.sync(() => token(pNdkMr))
}

/** `NdkCreateMr`: a normal MR (register/deregister) or a fast-register MR. */
export const createMr = (
  pd: PdImpl,
  fastRegister: boolean,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkMr>
): Effect.Effect<number> =>
  create<NdkMr>(pd, T, [], completion, context, out, (rec) =>
    Effect.gen(function*() {
      const made = yield* Effect.either(
        pd.adapter.core.nic.createMr(pd.handle, { fastRegister: fastRegister === true })
      )
      if (made._tag === "Left") return fromNic(made.left.code)
      const impl = new MrImpl(pd, rec, made.right, fastRegister === true)
      const object = makeObject(T, pd.adapter.version, mrDispatch)
      impl.object = object
      register(object, impl)
      return { object, undo: Effect.void }
    }))
