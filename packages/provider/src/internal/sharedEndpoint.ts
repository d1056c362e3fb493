/**
 * The shared endpoint (SPEC.md §6.9, §8.9): an explicit local address + port bound at creation
 * (`STATUS_SHARING_VIOLATION` / `STATUS_INVALID_ADDRESS` / `STATUS_TOO_MANY_ADDRESSES` there, R169), from which
 * many connectors connect to different destinations. The endpoint is reference-counted: the object itself and
 * each connector connected through it; its close pends until those connectors are closed (edge shared endpoint
 * → connector, R138).
 *
 * @internal
 */
import type { Lifetime } from "@effect-ndk/lifetime"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { InOut, Out } from "@effect-ndk/ndkpi/OutParam"
import type { NdkCreateCompletion, NdkSharedEndpoint, NdkSharedEndpointDispatch } from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import * as SockAddrOps from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import type { AdapterImpl } from "./adapter.js"
import type { Endpoint, EndpointRegistry } from "./endpoints.js"
import { registryOf } from "./endpoints.js"
import type { ObjectImpl, PendingOp } from "./object.js"
import { BAD_HANDLE, close, create, lookup, makeObject, queryExtension, register, validate } from "./object.js"

const S = NtStatus
/** `NDK_OBJECT_TYPE` of a shared endpoint. */
export const SEP = NdkObjectType.NdkObjectTypeSharedEndpoint

/** Provider record of a shared endpoint. */
export class SharedEndpointImpl implements ObjectImpl {
  readonly type = SEP
  readonly ops = new Set<PendingOp>()
  object!: NdkSharedEndpoint
  constructor(
    readonly adapter: AdapterImpl,
    readonly rec: Lifetime.LifetimeObject,
    readonly registry: EndpointRegistry,
    readonly endpoint: Endpoint
  ) {}
}

const isSockAddr = (a: unknown): a is SockAddr =>
  typeof a === "object" && a !== null && ((a as SockAddr).family === 2 || (a as SockAddr).family === 23) &&
  typeof (a as SockAddr).address === "string" && Number.isInteger((a as SockAddr).port) &&
  (a as SockAddr).port >= 0 && (a as SockAddr).port <= 65535

/** Address getter protocol (SPEC.md §6.9). */
const writeAddress = (addr: SockAddr, pAddress: Out<SockAddr> | null, pLength: InOut<number>): number => {
  if (typeof pLength !== "object" || pLength === null) return S.STATUS_INVALID_PARAMETER
  const required = SockAddrOps.byteLength(addr)
  if (pAddress === null || typeof pAddress !== "object" || !(pLength.value >= required)) {
    pLength.value = required
    return S.STATUS_BUFFER_TOO_SMALL
  }
  pAddress.value = { family: addr.family, address: addr.address, port: addr.port }
  pLength.value = required
  return S.STATUS_SUCCESS
}

/** The shared-endpoint dispatch table (3 entries). */
export const sharedEndpointDispatch: NdkSharedEndpointDispatch = {
  NdkCloseSharedEndpoint: (o, completion, context) =>
    Effect.suspend(() => {
      const s = lookup<SharedEndpointImpl>(o, SEP)
      if (s === undefined) return Effect.succeed(BAD_HANDLE)
      // the object's own reference ends with the close request; connectors through it keep the endpoint
      // bound until they are closed (SPEC.md §8.9)
      if (s.rec.state === 1) s.registry.release(s.endpoint)
      return close(s, completion, context, Effect.void, Effect.succeed(true))
    }),
  NdkQueryExtension: queryExtension,
  NdkGetLocalAddress: (o, pAddress, pLength) =>
    Effect.sync(() => {
      const s = validate<SharedEndpointImpl>(o, SEP)
      if (typeof s === "number") return s
      return writeAddress(s.endpoint.address, pAddress, pLength)
    })
}

/** `NdkCreateSharedEndpoint` (SPEC.md §6.2): binds the local address at creation (R169). */
export const createSharedEndpoint = (
  a: AdapterImpl,
  pAddress: SockAddr,
  addressLength: number,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<NdkSharedEndpoint>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    if (!isSockAddr(pAddress)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    if (typeof addressLength !== "number" || addressLength < SockAddrOps.byteLength(pAddress)) {
      return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    }
    const registry = registryOf(a.core.nic, a.core.nic.address)
    if (!registry.owns(pAddress)) return Effect.succeed(S.STATUS_INVALID_ADDRESS)
    return create<NdkSharedEndpoint>(a, SEP, [], completion, context, out, (rec) =>
      Effect.sync(() => {
        const bound = registry.bind(pAddress, "shared")
        if (typeof bound === "number") return bound
        const s = new SharedEndpointImpl(a, rec, registry, bound)
        const object = makeObject(SEP, a.version, sharedEndpointDispatch)
        s.object = object
        register(object, s)
        return { object, undo: Effect.sync(() => registry.release(bound)) }
      }))
  })
