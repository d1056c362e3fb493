import { NtStatus } from "@effect-ndk/ndkpi"
import * as Effect from "effect/Effect"
import * as Lifetime from "../../src/Lifetime.js"
import type { LifetimeEvent } from "../../src/LifetimeEvent.js"

export const S = NtStatus.NtStatus

/** NDK_OBJECT_TYPE values used in tests (SPEC.md §2.1). */
export const T = {
  Adapter: 1,
  Qp: 2,
  Cq: 3,
  Mr: 4,
  Mw: 5,
  Pd: 6,
  SharedEndpoint: 7,
  Connector: 8,
  Listener: 9,
  Srq: 10
} as const

/** One observable consumer callback, in order. */
export interface Call {
  readonly what: "request" | "notification" | "close" | "create"
  readonly phase: "start" | "end"
  readonly id: number
  readonly context?: unknown
  readonly status?: number
}

/** A kernel with an event log and a callback log. */
export const setup = (options?: { readonly watchdog?: number }) => {
  const events: Array<LifetimeEvent> = []
  const calls: Array<Call> = []
  const k = Lifetime.unsafeMake({ sink: (e) => events.push(e), watchdog: options?.watchdog ?? 0 })
  /** A close completion that logs start and end. */
  const closeCompletion = (id: number, body: Effect.Effect<void> = Effect.void) => (context: unknown) =>
    Effect.suspend(() => {
      calls.push({ what: "close", phase: "start", id, context })
      return Effect.zipRight(body, Effect.sync(() => calls.push({ what: "close", phase: "end", id, context })))
    })
  /** A request completion callback that logs start and end. */
  const requestCompletion = (id: number, status: number, body: Effect.Effect<void> = Effect.void) =>
    Effect.suspend(() => {
      calls.push({ what: "request", phase: "start", id, status })
      return Effect.zipRight(body, Effect.sync(() => calls.push({ what: "request", phase: "end", id, status })))
    })
  const notification = (id: number, body: Effect.Effect<void> = Effect.void) =>
    Effect.suspend(() => {
      calls.push({ what: "notification", phase: "start", id })
      return Effect.zipRight(body, Effect.sync(() => calls.push({ what: "notification", phase: "end", id })))
    })
  const closesOf = (id: number) => calls.filter((c) => c.what === "close" && c.id === id && c.phase === "start")
  const index = (pred: (c: Call) => boolean) => calls.findIndex(pred)
  const lastIndex = (pred: (c: Call) => boolean) => {
    for (let i = calls.length - 1; i >= 0; i--) if (pred(calls[i])) return i
    return -1
  }
  return { k, events, calls, closeCompletion, requestCompletion, notification, closesOf, index, lastIndex }
}

/** Let forked fibers run. */
export const flush = Effect.repeatN(Effect.yieldNow(), 30)

/** A tiny deterministic PRNG for building scenarios inside properties. */
export const prng = (seed: number) => {
  let s = seed >>> 0 || 1
  return (n: number): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s % n
  }
}
