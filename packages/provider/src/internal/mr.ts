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

/**
 * The caller-buffer bytes an MDL chain carries for its first `len` bytes (the NIC's external-region slow path),
 * undefined for host memory, or a status: the range must lie in one MDL's bytes (the NIC maps a region onto one
 * store — STATUS_NOT_SUPPORTED when it would span several) and its VA range must be exact in a double (below
 * 2^53, else STATUS_INVALID_PARAMETER).
 */
const externalBytes = (mdl: Mdl.Mdl, len: bigint): Uint8Array | undefined | number => {
  let spans = false
  let covered = 0n
  for (let m: Mdl.Mdl | undefined = mdl; m !== undefined && covered < len; m = m.next) {
    if (m.bytes !== undefined) spans = true
    covered += BigInt(m.byteCount)
  }
  if (!spans) return undefined
  const first = mdl.bytes
  if (first === undefined || BigInt(first.length) < len) return S.STATUS_NOT_SUPPORTED
  if (mdl.virtualAddress + len > BigInt(Number.MAX_SAFE_INTEGER)) return S.STATUS_INVALID_PARAMETER
  return first.subarray(0, Number(len))
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
      const external = externalBytes(mdl, len)
      if (typeof external === "number") return Effect.succeed(external)
      mr.registered = true
      const nic = mr.adapter.core.nic
      const va = Number(mdl.virtualAddress)
      const register = external === undefined
        ? nic.registerMr(mr.handle, va, Number(len), flags >>> 0)
        : Effect.asVoid(nic.registerExternal(mr.handle, external, flags >>> 0, va))
      const work = Effect.map(
        nicStatus(register),
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
