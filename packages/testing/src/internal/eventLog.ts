/**
 * The recording wrapper: a transparent proxy over any provider host and every object it hands out.
 *
 * @internal
 */
import * as Catalog from "@effect-ndk/ndkpi/Catalog"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import * as ObjectType from "@effect-ndk/ndkpi/ObjectType"
import type { ObjectKind } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import type { CqUnsafeName, NdkAdapter, NdkObject, QpUnsafeName } from "@effect-ndk/ndkpi/RawInterface"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type { CqResult, Event, ObjectTypeName } from "../Event.js"
import type { Arg, EventCallbackName } from "./argSpec.js"
import { specOf } from "./argSpec.js"

/** @internal */
export interface Log {
  readonly events: ReadonlyArray<Event>
  readonly subscribe: (listener: (event: Event) => void) => () => void
  readonly wrapHost: (host: NdkProviderHost) => NdkProviderHost
  readonly wrapAdapter: (adapter: NdkAdapter) => NdkAdapter
  readonly objectId: (object: unknown) => number | undefined
  readonly contextId: (context: unknown) => number | undefined
  readonly unwrap: <A>(object: A) => A
}

type Fn = (...args: Array<unknown>) => unknown
type EffectFn = (...args: Array<unknown>) => Effect.Effect<unknown>
type Callback = (...args: Array<unknown>) => Effect.Effect<void>

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

interface Identity {
  readonly id: number
  readonly type: ObjectTypeName
}

interface Cell {
  id: number
  type: ObjectTypeName | null
}

type CallbackShape = "create" | "request" | "close" | "notify" | "connect" | "disconnect" | "disconnectEx"

const shapeOf: Readonly<Record<Catalog.CompletionName | EventCallbackName, CallbackShape>> = {
  NdkCreateCompletion: "create",
  NdkRequestCompletion: "request",
  NdkCloseCompletion: "close",
  NdkCqNotificationCallback: "notify",
  NdkSrqNotificationCallback: "notify",
  NdkConnectEventCallback: "connect",
  NdkDisconnectEventCallback: "disconnect",
  NdkDisconnectEventCallbackEx: "disconnectEx"
}

const functionOf: ReadonlyMap<string, Catalog.FunctionType> = new Map(
  Catalog.functionTypes.flatMap((f) => f.members.map((m) => [`${m.table}.${m.member}`, f] as const))
)

const isObject = (u: unknown): u is object => typeof u === "object" && u !== null

/** What the wrapper needs to know about one dispatch member, computed once. */
interface Meta {
  readonly member: string
  readonly spec: ReadonlyArray<Arg>
  readonly completion: Catalog.CompletionName | null
  readonly returns: Catalog.FunctionType["returns"]
}

const metas = new Map<string, Meta>()

const metaOf = (kind: ObjectKind, member: string): Meta => {
  const key = `${kind}.${member}`
  let meta = metas.get(key)
  if (meta === undefined) {
    const info = functionOf.get(key)
    meta = {
      member,
      spec: specOf(kind, member),
      completion: info?.completion ?? null,
      returns: info?.returns ?? "NTSTATUS"
    }
    metas.set(key, meta)
  }
  return meta
}

const qpUnsafe: ReadonlyArray<QpUnsafeName> = [
  "NdkSend",
  "NdkReceive",
  "NdkBind",
  "NdkFastRegister",
  "NdkInvalidate",
  "NdkRead",
  "NdkWrite",
  "NdkSendAndInvalidate"
]
const cqUnsafe: ReadonlyArray<CqUnsafeName> = ["NdkArmCq", "NdkGetCqResults", "NdkGetCqResultsEx"]

/** the members of each kind's `unsafe` table (the provider's table may hold them as prototype methods) */
const unsafeNames: Readonly<Record<ObjectKind, ReadonlyArray<string>>> = {
  Adapter: [],
  Cq: cqUnsafe,
  Mr: [],
  Mw: [],
  Srq: ["NdkSrqReceive"],
  Qp: qpUnsafe,
  Pd: [],
  SharedEndpoint: [],
  Connector: [],
  Listener: []
}

/** @internal */
export const make = (): Log => {
  const events: Array<Event> = []
  const listeners = new Set<(event: Event) => void>()
  const identities = new WeakMap<object, Identity>()
  const wrappedOf = new WeakMap<object, object>()
  const rawOf = new WeakMap<object, object>()
  const contexts = new Map<unknown, number>()
  const fibers = new Map<number, number>()
  let nextObject = 1
  let lastTime = 0

  // ---------------------------------------------------------------------------------------------------------
  // recording
  // ---------------------------------------------------------------------------------------------------------

  const record = (partial: Omit<Event, "seq" | "time" | "fiber">): number => {
    let fiber = 0
    let time = lastTime
    const current = Fiber.getCurrentFiber()
    if (Option.isSome(current)) {
      const runtimeId = current.value.id().id
      let small = fibers.get(runtimeId)
      if (small === undefined) {
        small = fibers.size + 1
        fibers.set(runtimeId, small)
      }
      fiber = small
      time = Context.get(current.value.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()
      lastTime = time
    }
    const seq = events.length
    const event: Event = { seq, time, fiber, ...partial }
    events.push(event)
    for (const listener of listeners) listener(event)
    return seq
  }

  const contextId = (context: unknown): number => {
    let id = contexts.get(context)
    if (id === undefined) {
      id = contexts.size + 1
      contexts.set(context, id)
    }
    return id
  }

  // ---------------------------------------------------------------------------------------------------------
  // object identities
  // ---------------------------------------------------------------------------------------------------------

  const unwrap = (u: unknown): unknown => (isObject(u) ? rawOf.get(u) ?? u : u)

  const identify = (u: unknown): Identity | undefined => {
    if (!isObject(u)) return undefined
    const known = identities.get(u)
    if (known !== undefined) return known
    const header: unknown = (u as { readonly Header?: unknown }).Header
    const type = isObject(header) ? (header as { readonly ObjectType?: unknown }).ObjectType : undefined
    const info = typeof type === "number" ? ObjectType.infoOf(type) : undefined
    const identity: Identity = { id: nextObject++, type: info?.kind ?? "Unknown" }
    identities.set(u, identity)
    return identity
  }

  /** The wrapped twin of a raw object handed out by the provider (made on first sight). */
  const adopt = (u: unknown): unknown => {
    if (!isObject(u)) return u
    if (rawOf.has(u)) return u
    const existing = wrappedOf.get(u)
    if (existing !== undefined) return existing
    const identity = identify(u)!
    if (identity.type === "Unknown") return u
    const wrapped = wrapObject(u as NdkObject, identity.type, identity)
    identities.set(wrapped, identity)
    wrappedOf.set(u, wrapped)
    rawOf.set(wrapped, u)
    return wrapped
  }

  // ---------------------------------------------------------------------------------------------------------
  // callbacks
  // ---------------------------------------------------------------------------------------------------------

  const wrapCallback = (
    fn: Catalog.CompletionName | EventCallbackName,
    link: number,
    owner: Cell,
    created: Cell | null,
    consumer: Callback
  ): Callback =>
  (...args) =>
    Effect.suspend(() => {
      const shape = shapeOf[fn]
      const forwarded = args.slice()
      const start: Mutable<Omit<Event, "seq" | "time" | "fiber">> = {
        kind: "start",
        fn,
        object: owner.id,
        type: owner.type,
        link,
        ctx: contextId(args[0])
      }
      if (shape === "create" || shape === "request" || shape === "notify") start.status = args[1] as number
      if (shape === "disconnectEx") start.value = args[1] as number
      const objectAt = shape === "create" ? 2 : shape === "connect" ? 1 : -1
      if (objectAt > 0 && isObject(args[objectAt])) {
        forwarded[objectAt] = adopt(args[objectAt])
        const identity = identify(args[objectAt])!
        start.created = identity.id
        start.createdType = identity.type
        if (created !== null) {
          created.id = identity.id
          created.type = identity.type
        }
      }
      const seq = record(start)
      return Effect.ensuring(
        consumer(...forwarded),
        Effect.sync(() => {
          record({ kind: "end", fn, object: owner.id, type: owner.type, link: seq })
        })
      )
    })

  // ---------------------------------------------------------------------------------------------------------
  // provider functions
  // ---------------------------------------------------------------------------------------------------------

  /** Records the call, rewrites the arguments; the returned `finish` records the return. */
  const prepare = (
    meta: Meta,
    identity: Identity,
    args: ReadonlyArray<unknown>,
    unsafe: boolean
  ): { readonly forwarded: Array<unknown>; readonly finish: (result: unknown) => void } => {
    const { completion, member, returns, spec } = meta
    const forwarded = args.slice()
    forwarded[0] = unwrap(args[0])
    const call: Mutable<Omit<Event, "seq" | "time" | "fiber">> = {
      kind: "call",
      fn: member,
      object: identity.id,
      type: identity.type
    }
    let refs: Record<string, number> | undefined
    for (const arg of spec) {
      switch (arg.role) {
        case "object": {
          forwarded[arg.at] = unwrap(args[arg.at])
          const ref = identify(args[arg.at])
          if (ref !== undefined) (refs ??= {})[arg.name] = ref.id
          break
        }
        case "completion":
          call.ctx = contextId(args[arg.ctx])
          break
        case "event":
          call.eventCtx = contextId(args[arg.ctx])
          break
        case "wrContext":
          call.ctx = contextId(args[arg.at])
          break
        case "qpContext":
          call.qpCtx = contextId(args[arg.at])
          break
        case "out":
        case "results":
          break
      }
    }
    if (refs !== undefined) call.refs = refs
    if (unsafe) call.unsafe = true
    const seq = record(call)

    const self: Cell = { id: identity.id, type: identity.type }
    const created: Cell = { id: 0, type: null }
    let consumerOut: Out<unknown> | undefined
    let innerOut: Out<unknown> | undefined
    let polled: ReadonlyArray<NdkResult | NdkResultEx> | undefined
    for (const arg of spec) {
      const given = args[arg.at]
      switch (arg.role) {
        case "completion":
          if (typeof given === "function" && completion !== null) {
            forwarded[arg.at] = wrapCallback(completion, seq, self, created, given as Callback)
          }
          break
        case "event":
          if (typeof given === "function") {
            const owner = arg.target === "self" ? self : created
            forwarded[arg.at] = wrapCallback(arg.callback, seq, owner, null, given as Callback)
          }
          break
        case "out":
          if (isObject(given)) {
            consumerOut = given as Out<unknown>
            innerOut = {}
            forwarded[arg.at] = innerOut
          }
          break
        case "results":
          if (Array.isArray(given)) polled = given
          break
        default:
          break
      }
    }

    const finish = (result: unknown): void => {
      const ret: Mutable<Omit<Event, "seq" | "time" | "fiber">> = {
        kind: "return",
        fn: member,
        object: identity.id,
        type: identity.type,
        link: seq
      }
      if (returns === "NTSTATUS" && typeof result === "number") ret.status = result
      if ((returns === "count" || returns === "token") && typeof result === "number") ret.value = result
      if (innerOut !== undefined && consumerOut !== undefined && innerOut.value !== undefined) {
        consumerOut.value = adopt(innerOut.value)
        const made = identify(innerOut.value)!
        ret.created = made.id
        ret.createdType = made.type
        created.id = made.id
        created.type = made.type
      }
      if (polled !== undefined && typeof result === "number" && result > 0) {
        const n = Math.min(result, polled.length)
        const read: Array<CqResult> = []
        for (let i = 0; i < n; i++) {
          const r = polled[i]
          if (!isObject(r)) continue
          const entry: Mutable<CqResult> = {
            ctx: contextId(r.RequestContext),
            qpCtx: contextId(r.QPContext),
            status: r.Status,
            bytes: r.BytesTransferred
          }
          if ("Type" in r) entry.opType = r.Type
          read.push(entry)
        }
        ret.results = read
      }
      if (unsafe) ret.unsafe = true
      record(ret)
    }
    return { forwarded, finish }
  }

  const wrapObject = (raw: NdkObject, kind: ObjectKind, identity: Identity): NdkObject => {
    const rawDispatch = (): Readonly<Record<string, EffectFn>> =>
      raw.Dispatch as unknown as Readonly<Record<string, EffectFn>>
    const dispatch: Record<string, EffectFn> = {}
    for (const member of Catalog.dispatchNames[kind] as ReadonlyArray<string>) {
      const meta = metaOf(kind, member)
      dispatch[member] = (...args) =>
        Effect.suspend(() => {
          const { finish, forwarded } = prepare(meta, identity, args, false)
          return Effect.tap(rawDispatch()[member](...forwarded), (result) => Effect.sync(() => finish(result)))
        })
    }
    const wrapped: Record<string, unknown> = { Header: raw.Header, Dispatch: dispatch }
    const rawUnsafe = (): Readonly<Record<string, Fn>> =>
      (raw as unknown as { readonly unsafe: Readonly<Record<string, Fn>> }).unsafe
    if (isObject((raw as { readonly unsafe?: unknown }).unsafe)) {
      const unsafe: Record<string, Fn> = {}
      for (const member of unsafeNames[kind]) {
        if (typeof rawUnsafe()[member] !== "function") continue
        const meta = metaOf(kind, member)
        unsafe[member] = (...args) => {
          const { finish, forwarded } = prepare(meta, identity, args, true)
          const result = rawUnsafe()[member](...forwarded)
          finish(result)
          return result
        }
      }
      wrapped.unsafe = unsafe
    }
    return wrapped as unknown as NdkObject
  }

  // ---------------------------------------------------------------------------------------------------------
  // the host
  // ---------------------------------------------------------------------------------------------------------

  const wrapHost = (host: NdkProviderHost): NdkProviderHost => ({
    MiniportAdapterContext: host.MiniportAdapterContext,
    OpenNdkAdapter: (context, parameters, ppNdkAdapter) =>
      Effect.suspend(() => {
        const seq = record({ kind: "call", fn: "OpenNdkAdapter", object: 0, type: null })
        const inner: Out<NdkAdapter> = {}
        return Effect.tap(host.OpenNdkAdapter(context, parameters, inner), (status) =>
          Effect.sync(() => {
            const ret: Mutable<Omit<Event, "seq" | "time" | "fiber">> = {
              kind: "return",
              fn: "OpenNdkAdapter",
              object: 0,
              type: null,
              link: seq,
              status
            }
            if (inner.value !== undefined) {
              ppNdkAdapter.value = adopt(inner.value) as NdkAdapter
              const made = identify(inner.value)!
              ret.created = made.id
              ret.createdType = made.type
            }
            record(ret)
          }))
      }),
    CloseNdkAdapter: (context, adapter) =>
      Effect.suspend(() => {
        const identity = identify(adapter) ?? { id: 0, type: "Adapter" }
        const seq = record({ kind: "call", fn: "CloseNdkAdapter", object: identity.id, type: identity.type })
        return Effect.tap(
          host.CloseNdkAdapter(context, unwrap(adapter) as NdkAdapter),
          () =>
            Effect.sync(() => {
              record({ kind: "return", fn: "CloseNdkAdapter", object: identity.id, type: identity.type, link: seq })
            })
        )
      })
  })

  return {
    events,
    subscribe: (listener) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    wrapHost,
    wrapAdapter: (adapter) => adopt(adapter) as NdkAdapter,
    objectId: (object) => (isObject(object) ? identities.get(object)?.id : undefined),
    contextId: (context) => contexts.get(context),
    unwrap: <A>(object: A): A => unwrap(object) as A
  }
}
