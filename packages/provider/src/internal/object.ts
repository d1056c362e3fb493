/**
 * The machinery every object type shares: how an object struct `{ Header, Dispatch }` is built and found again
 * by its header (never by its `Dispatch`, R11), how a dispatch function validates its handle, type and state,
 * how pending creates and requests run through the lifetime kernel, and how callbacks are delivered from
 * provider fibers.
 */
import type { Nic, NicError } from "@effect-ndk/hardware/Nic"
import { Sgl } from "@effect-ndk/hardware/Nic"
import type { LifetimeEvent } from "@effect-ndk/lifetime"
import { Lifetime } from "@effect-ndk/lifetime"
import type { NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import type { Mdl } from "@effect-ndk/ndkpi/Mdl"
import type { NdkVersion } from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import * as ObjectHeader from "@effect-ndk/ndkpi/ObjectHeader"
import type { LiveObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  NdkCloseCompletion,
  NdkCreateCompletion,
  NdkFnQueryExtensionInterface,
  NdkObject,
  NdkRequestCompletion
} from "@effect-ndk/ndkpi/RawInterface"
import type { NdkSge } from "@effect-ndk/ndkpi/Sge"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { fromNicError } from "./status.js"

const S = NtStatus

/** How requests that may pend are completed (creates and control requests; never work requests). */
export type CompletionMode = "inline" | "pending" | "pendingInline"

/** Seeded fault injection of the provider itself (R7). */
export interface ProviderFaults {
  /** probability that a create fails with STATUS_INSUFFICIENT_RESOURCES (inline or through the completion) */
  readonly createFailure: number
}

/**
 * What the provider of one host shares between all its adapter instances.
 */
export interface ProviderCore {
  readonly nic: Nic
  /** the Clock of the provider's scope (virtual under TestClock): connection-manager timer deadlines */
  readonly clock: Clock.Clock
  /** the highest version this provider implements (1.1, 1.2 or 2.1) */
  readonly highest: NdkVersion
  readonly mode: { current: CompletionMode }
  readonly faults: { current: ProviderFaults }
  /** NDK enabled on the miniport (OID_NDK_SET_STATE); open fails with ADAPTER_NOT_READY when false */
  readonly enabled: { current: boolean }
  /** forks a provider fiber (callback delivery, pending requests) into the provider's scope */
  readonly fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>
  /** seeded uniform [0, 1) */
  readonly random: () => number
  readonly watchdog: number | undefined
  /** open adapter instances, and who waits for there to be none (NetEventNDKDisable, R41) */
  readonly adapters: Set<object>
  readonly whenNoAdapters: Array<() => void>
  /** consumer-contract violations the provider detects (R39, R47) */
  readonly onViolation: (violation: Violation) => void
  readonly sink: LifetimeEvent.Sink | undefined
}

/** A request accepted with STATUS_PENDING and not yet run: the cancel step of a close marks it. */
export interface PendingOp {
  cancelled: boolean
}

/**
 * The provider-side record of one NDK object: its kernel record, the adapter instance it belongs to, and
 * the requests still to run. Each object type extends it.
 */
export interface ObjectImpl {
  readonly type: LiveObjectType
  readonly rec: Lifetime.LifetimeObject
  readonly adapter: AdapterBase
  readonly ops: Set<PendingOp>
}

/** What every object needs from its adapter instance. */
export interface AdapterBase {
  readonly core: ProviderCore
  readonly kernel: Lifetime.Kernel
  readonly version: NdkVersion
  /** objects closed whose NIC resources still await destruction */
  readonly reap: (destroy: Effect.Effect<boolean>) => Effect.Effect<void>
  /** extension interfaces by lower-case GUID */
  readonly extensions: ReadonlyMap<string, NdkExtensionInterface>
}

const registry = new WeakMap<object, ObjectImpl>()

/** Builds the object struct: negotiated version, type, zeroed reserved block, the dispatch table. */
export const makeObject = <T extends LiveObjectType, D>(
  type: T,
  version: NdkVersion,
  dispatch: D
): { Header: ObjectHeader.NdkObjectHeader<T>; Dispatch: D } => ({
  Header: ObjectHeader.make(type, version),
  Dispatch: dispatch
})

/** Registers the provider record of an object struct (found again through its header). */
export const register = (object: { readonly Header: object }, impl: ObjectImpl): void => {
  registry.set(object.Header, impl)
}

/**
 * Finds the provider record behind a handle: `undefined` for null/absent handles, foreign objects and objects
 * of another type. The header identity is the key, so overwriting `Dispatch` changes nothing (R11).
 */
export const lookup = <I extends ObjectImpl>(object: unknown, type: number): I | undefined => {
  if (typeof object !== "object" || object === null) return undefined
  const header = (object as { readonly Header?: unknown }).Header
  if (typeof header !== "object" || header === null) return undefined
  const impl = registry.get(header)
  return impl !== undefined && impl.type === type ? impl as I : undefined
}

/** Finds the record behind any NDK object of any type. */
export const lookupAny = (object: unknown): ObjectImpl | undefined => {
  if (typeof object !== "object" || object === null) return undefined
  const header = (object as { readonly Header?: unknown }).Header
  return typeof header === "object" && header !== null ? registry.get(header) : undefined
}

/** True while a consumer callback runs on this fiber (SPEC.md §1.5: callbacks run at DISPATCH level). */
export const insideCallback: FiberRef.FiberRef<boolean> = FiberRef.unsafeMake(false)

/** Runs a consumer callback marked as callback context (for the PASSIVE-only checks, R39/R47). */
export const asCallback = <E>(callback: () => Effect.Effect<void, E>): Effect.Effect<void, E> =>
  Effect.locally(Effect.suspend(callback), insideCallback, true)

/** A consumer-contract violation the provider detects itself (reported through `Options.onViolation`). */
export interface Violation {
  /** the requirement: "R39" adapter close from a callback, "R47" query adapter info from a callback */
  readonly rule: "R39" | "R47"
  readonly function: string
}

/** The status a dispatch function returns for a handle that names no live object of its type. */
export const BAD_HANDLE = S.STATUS_INVALID_PARAMETER
/** The status for an object that is not Open (closing, or in error). */
export const BAD_STATE = S.STATUS_INVALID_DEVICE_STATE

/** Open (neither Creating nor Closing/Closed). */
export const isOpen = (impl: ObjectImpl): boolean => impl.rec.state === 1

/**
 * Validates a dispatch call's handle: the record, or the status to return (absent/wrong type ⇒
 * STATUS_INVALID_PARAMETER; not Open ⇒ STATUS_INVALID_DEVICE_STATE).
 */
export const validate = <I extends ObjectImpl>(object: unknown, type: number): I | number => {
  const impl = lookup<I>(object, type)
  if (impl === undefined) return BAD_HANDLE
  if (!isOpen(impl)) return refuse(impl)
  return impl
}

/**
 * Refuses a call on an object that is not Open with STATUS_INVALID_DEVICE_STATE, through the kernel so a use
 * after close is recorded as a consumer violation (R31).
 */
export const refuse = (impl: ObjectImpl): number => Lifetime.unsafeBeginRequest(impl.adapter.kernel, impl.rec)

const isFunction = (u: unknown): boolean => typeof u === "function"

/** Runs a NIC control verb, mapping its failure to NTSTATUS. */
export const nicStatus = (verb: Effect.Effect<unknown, NicError>): Effect.Effect<number> =>
  Effect.match(verb, { onFailure: fromNicError, onSuccess: () => S.STATUS_SUCCESS })

/**
 * A request that may pend (`NdkRequestCompletion`): in "inline" mode `work` runs inside the call and its status
 * is returned (no callback, R2); in "pending" mode the call returns STATUS_PENDING and `work` runs on a provider
 * fiber, then the completion is delivered through the kernel (exactly once, R1); in "pendingInline" mode the
 * completion runs inside the call before it returns STATUS_PENDING (R8). A close of the object before the work
 * ran completes the request with STATUS_CANCELLED (R21) without running the work.
 */
export const request = (
  impl: ObjectImpl,
  completion: NdkRequestCompletion | null,
  context: unknown,
  work: Effect.Effect<number>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const mode = impl.adapter.core.mode.current
    if (mode === "inline" || !isFunction(completion)) return work
    const k = impl.adapter.kernel
    const begun = Lifetime.unsafeBeginRequest(k, impl.rec)
    if (begun !== S.STATUS_SUCCESS) return Effect.succeed(begun)
    const op: PendingOp = { cancelled: false }
    impl.ops.add(op)
    const cb = completion as NdkRequestCompletion
    const run = Effect.flatMap(
      Effect.suspend(() => {
        impl.ops.delete(op)
        return op.cancelled ? Effect.succeed(S.STATUS_CANCELLED) : work
      }),
      (status) => Lifetime.complete(k, impl.rec, asCallback(() => cb(context, status)))
    )
    if (mode === "pendingInline") return Effect.as(run, S.STATUS_PENDING)
    impl.adapter.core.fork(run)
    return Effect.succeed(S.STATUS_PENDING)
  })

/**
 * What a create's build step yields: the object struct to hand out (with `undo`, which releases what the build
 * took should the create be abandoned after it — with the build and the create completion in one synchronous
 * step this does not happen today), or a failure status.
 */
export type Built<O> = { readonly object: O; readonly undo: Effect.Effect<void> } | number

/**
 * The common contract of every `NdkCreate*` (SPEC.md §6.2): inline SUCCESS writes `out`; STATUS_PENDING
 * leaves `out` alone and delivers the object through `NdkCreateCompletion` (R4); any other status creates
 * nothing. `build` makes the NIC resource and the object struct for an Open kernel record.
 */
export const create = <O extends NdkObject>(
  parent: ObjectImpl | AdapterRoot,
  type: LiveObjectType,
  antecedents: ReadonlyArray<Lifetime.LifetimeObject>,
  completion: NdkCreateCompletion,
  context: unknown,
  out: Out<O> | null | undefined,
  build: (rec: Lifetime.LifetimeObject) => Effect.Effect<Built<O>>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const adapter = parent.adapter
    const core = adapter.core
    const k = adapter.kernel
    const mode = core.mode.current
    const pending = mode !== "inline" && isFunction(completion)
    if (!pending && (typeof out !== "object" || out === null)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
    const failure = core.faults.current.createFailure > 0 && core.random() < core.faults.current.createFailure
    const rec = Lifetime.unsafeBeginCreate(k, type, parent.rec, antecedents)
    if (rec === undefined) return Effect.succeed(BAD_STATE)
    const finish = (cancelled: boolean): Effect.Effect<{ status: number; object: O | null }> =>
      Effect.gen(function*() {
        if (cancelled) return { status: S.STATUS_CANCELLED, object: null }
        if (failure) return { status: S.STATUS_INSUFFICIENT_RESOURCES, object: null }
        const built = yield* build(rec)
        if (typeof built === "number") return { status: built, object: null }
        return { status: S.STATUS_SUCCESS, object: built.object }
      })
    if (!pending) {
      return Effect.flatMap(finish(false), ({ object, status }) =>
        Effect.zipRight(
          Lifetime.completeCreate(k, rec, status),
          Effect.sync(() => {
            if (object !== null && out) out.value = object
            return status
          })
        ))
    }
    const op: PendingOp = { cancelled: false }
    parent.ops.add(op)
    const cb = completion
    const run = Effect.flatMap(
      Effect.suspend(() => {
        parent.ops.delete(op)
        return finish(op.cancelled)
      }),
      ({ object, status }) =>
        Lifetime.completeCreate(k, rec, status, (o) => asCallback(() => cb(context, status, o ? object : null)))
    )
    if (mode === "pendingInline") return Effect.as(run, S.STATUS_PENDING)
    core.fork(run)
    return Effect.succeed(S.STATUS_PENDING)
  })

/** The adapter itself, as a parent of creates. */
export interface AdapterRoot {
  readonly adapter: AdapterBase
  readonly rec: Lifetime.LifetimeObject
  readonly ops: Set<PendingOp>
}

/**
 * `NdkCloseObject` through the kernel (SPEC.md §8.3): SUCCESS or PENDING only (R12). `cancel` is the type's
 * cancel step (run only when the close pends; it never invokes callbacks inline, R168); pending requests not
 * yet run are marked cancelled so they complete with STATUS_CANCELLED (R21). `destroy` frees the NIC
 * resources once the object is Closed (retried while the NIC reports it busy).
 */
export const close = (
  impl: ObjectImpl,
  completion: NdkCloseCompletion,
  context: unknown,
  cancel: Effect.Effect<void>,
  destroy: Effect.Effect<boolean>
): Effect.Effect<number> =>
  Effect.suspend(() => {
    const k = impl.adapter.kernel
    const first = impl.rec.state === 1
    const step = Effect.zipRight(
      Effect.sync(() => {
        for (const op of impl.ops) op.cancelled = true
      }),
      cancel
    )
    const cb = isFunction(completion) ? (ctx: unknown) => asCallback(() => completion(ctx)) : undefined
    return Effect.tap(Lifetime.close(k, impl.rec, { completion: cb, context, cancel: step }), (status) => {
      if (!first) return Effect.void
      if (status === S.STATUS_SUCCESS) return impl.adapter.reap(destroy)
      impl.adapter.core.fork(Effect.zipRight(Lifetime.awaitClosed(impl.rec), impl.adapter.reap(destroy)))
      return Effect.void
    })
  })

/**
 * `NdkQueryExtensionInterface` for any object (adapter slot 0, every other table slot 1): SUCCESS with a
 * registered interface, else STATUS_NOT_SUPPORTED with the output untouched (R48).
 */
export const queryExtension: NdkFnQueryExtensionInterface = (pNdkObject, id, _version, pExtensionInterface) =>
  Effect.sync(() => {
    const impl = lookupAny(pNdkObject)
    if (impl === undefined) return BAD_HANDLE
    const ext = impl.adapter.extensions.get(typeof id === "string" ? id.toLowerCase() : "")
    if (ext === undefined) return S.STATUS_NOT_SUPPORTED
    if (typeof pExtensionInterface !== "object" || pExtensionInterface === null) return S.STATUS_INVALID_PARAMETER
    pExtensionInterface.value = ext
    return S.STATUS_SUCCESS
  })

/**
 * Copies an NDK SGE list into a reusable NIC list (grown when needed). Returns the list, or an NTSTATUS for
 * malformed input (not an array, `nSge` beyond the array, non-integer lengths).
 */
export const toSgl = (holder: { sgl: Sgl }, sges: ReadonlyArray<NdkSge>, nSge: number): Sgl | number => {
  if (!Array.isArray(sges) || !Number.isInteger(nSge) || nSge < 0 || nSge > sges.length) {
    return S.STATUS_INVALID_PARAMETER
  }
  let sgl = holder.sgl
  if (nSge > sgl.capacity) holder.sgl = sgl = new Sgl(Math.max(nSge, 16, sgl.capacity * 2))
  sgl.count = 0
  for (let i = 0; i < nSge; i++) {
    const e = sges[i] as NdkSge | undefined
    if (e === undefined || e === null || typeof e !== "object") return S.STATUS_INVALID_PARAMETER
    const len = e.Length
    if (!Number.isInteger(len) || len < 0) return S.STATUS_INVALID_PARAMETER
    sgl.set(i, num(e.VirtualAddress), len, token32(e.MemoryRegionToken))
  }
  sgl.count = nSge
  return sgl
}

/** A ULONG argument, or -1 when it is not an integer in 0..0xFFFFFFFF (bad input never throws). */
export const ulong = (u: unknown): number =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= 0xFFFFFFFF ? u : -1

/** A token argument (UINT32): an integer number is taken modulo 2^32, else 0 (an invalid token). */
export const token32 = (u: unknown): number => typeof u === "number" && Number.isFinite(u) ? u >>> 0 : 0

/** A SIZE_T / UINT64 argument as a bigint, or undefined when it is neither a bigint nor a safe integer ≥ 0. */
export const size = (u: unknown): bigint | undefined =>
  typeof u === "bigint" ? (u >= 0n ? u : undefined) : typeof u === "number" && Number.isSafeInteger(u) && u >= 0
    ? BigInt(u)
    : undefined

/** An address-like argument as a number (NaN when it is not a bigint or a number). */
export const num = (u: unknown): number => typeof u === "bigint" || typeof u === "number" ? Number(u) : Number.NaN

/** A well-formed MDL chain: bigint addresses, non-negative integer byte counts, at most 4096 links. */
export const isMdl = (u: unknown): u is Mdl => {
  let m: unknown = u
  for (let n = 0; n < 4096; n++) {
    if (typeof m !== "object" || m === null) return false
    const r = m as { readonly virtualAddress?: unknown; readonly byteCount?: unknown; readonly next?: unknown }
    if (typeof r.virtualAddress !== "bigint" || r.virtualAddress < 0n) return false
    if (typeof r.byteCount !== "number" || !Number.isSafeInteger(r.byteCount) || r.byteCount < 0) return false
    const bytes = (m as { readonly bytes?: unknown }).bytes
    if (bytes !== undefined && !(bytes instanceof Uint8Array && bytes.length === r.byteCount)) return false
    if (r.next === undefined) return true
    m = r.next
  }
  return false
}
