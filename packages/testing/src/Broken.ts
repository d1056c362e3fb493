/**
 * Deliberately broken providers: wrappers around any provider host that break one rule of SPEC.md, so tests can
 * prove the verifier and the conformance suite catch each kind of bug.
 *
 * The wrapper replaces every object the provider hands out (create out-parameters, create completions, connect
 * events) by a twin that shares its `Header` (providers find their objects by header identity, R11) and has a
 * wrapped `Dispatch`. Only the behaviour named by the {@link Kind} is changed.
 *
 * @since 0.1.0
 */
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkObject } from "@effect-ndk/ndkpi/RawInterface"
import * as Effect from "effect/Effect"

/**
 * The kinds of breakage.
 *
 * - `closeTooEarly`: a connector's close completion runs before the real close (so before the cancelled
 *   completion of a pending connect).
 * - `closeTwice`: every close completion is delivered twice.
 * - `closeBeforeFlush`: a QP's close completion runs before the real close flushes its outstanding WRs.
 * - `callbackAfterClose`: after a CQ's close completion, its notification callback is called once more.
 * - `antecedentFirst`: closes of CQs and PDs return `STATUS_SUCCESS` at once, even while successors are open.
 * - `dropFlush`: CQ polls drop every `STATUS_CANCELLED` result (flushed WRs never reach the consumer).
 *
 * @since 0.1.0
 * @category models
 */
export type Kind =
  | "closeTooEarly"
  | "closeTwice"
  | "closeBeforeFlush"
  | "callbackAfterClose"
  | "antecedentFirst"
  | "dropFlush"

/**
 * Every kind.
 *
 * @since 0.1.0
 * @category constants
 */
export const kinds: ReadonlyArray<Kind> = [
  "closeTooEarly",
  "closeTwice",
  "closeBeforeFlush",
  "callbackAfterClose",
  "antecedentFirst",
  "dropFlush"
]

type Fn = (...args: Array<unknown>) => Effect.Effect<unknown>
type CloseCompletion = (ctx: unknown) => Effect.Effect<void>

const isObject = (u: unknown): u is NdkObject => typeof u === "object" && u !== null && "Header" in u && "Dispatch" in u

/**
 * Wraps a provider host so that it breaks the rule named by `kind`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const wrapHost = (kind: Kind, host: NdkProviderHost): NdkProviderHost => {
  const twins = new Map<object, NdkObject>()
  const raws = new Map<object, NdkObject>()
  const notifications = new Map<object, readonly [Fn, unknown]>()

  const unwrap = (u: unknown): unknown => (isObject(u) ? raws.get(u) ?? u : u)
  const twin = (u: unknown): unknown => {
    if (!isObject(u)) return u
    if (raws.has(u)) return u
    const known = twins.get(u)
    if (known !== undefined) return known
    const made = { Header: u.Header, Dispatch: dispatch(u), ...(("unsafe" in u) ? { unsafe: unsafe(u) } : {}) }
    const t = made as unknown as NdkObject
    twins.set(u, t)
    raws.set(t, u)
    return t
  }
  const callback = (f: Fn): Fn => (...args) => f(...args.map(twin))
  const fixOut = (args: ReadonlyArray<unknown>) => {
    for (const a of args) {
      if (typeof a === "object" && a !== null && !isObject(a) && "value" in a) {
        const o = a as { value?: unknown }
        if (isObject(o.value)) o.value = twin(o.value)
      }
    }
  }

  const dropCancelled = (results: Array<{ readonly Status: number }>, n: number): number => {
    let k = 0
    for (let i = 0; i < n; i++) {
      const r = results[i]!
      if (r.Status !== NtStatus.STATUS_CANCELLED) results[k++] = r
    }
    results.length = Math.min(results.length, k)
    return k
  }

  const unsafe = (raw: NdkObject): unknown => {
    const table = (raw as unknown as { readonly unsafe: { readonly [k: string]: (...a: Array<unknown>) => unknown } })
      .unsafe
    const out: { [k: string]: (...a: Array<unknown>) => unknown } = {}
    for (const [k, f] of Object.entries(table)) {
      out[k] = kind === "dropFlush" && k === "NdkGetCqResults" ?
        (...a) => dropCancelled(a[1] as Array<{ readonly Status: number }>, f(...a.map(unwrap)) as number) :
        (...a) => f(...a.map(unwrap))
    }
    return out
  }

  const close = (name: string, f: Fn, raw: NdkObject): Fn => (obj, completion, ctx) => {
    const c = completion as CloseCompletion
    switch (kind) {
      case "closeTwice":
        return f(unwrap(obj), (x: unknown) => Effect.zipRight(c(x), c(x)), ctx)
      case "closeTooEarly":
      case "closeBeforeFlush": {
        const target = kind === "closeTooEarly" ? "NdkCloseConnector" : "NdkCloseQp"
        if (name !== target) break
        return Effect.zipRight(c(ctx), Effect.as(f(unwrap(obj), () => Effect.void, ctx), NtStatus.STATUS_PENDING))
      }
      case "antecedentFirst": {
        if (name !== "NdkCloseCq" && name !== "NdkClosePd") break
        return Effect.as(f(unwrap(obj), () => Effect.void, ctx), NtStatus.STATUS_SUCCESS)
      }
      case "callbackAfterClose": {
        const n = notifications.get(raw)
        if (name !== "NdkCloseCq" || n === undefined) break
        return f(unwrap(obj), (x: unknown) => Effect.zipRight(c(x), Effect.asVoid(n[0](n[1], 0))), ctx)
      }
      case "dropFlush":
        break
    }
    return f(unwrap(obj), completion, ctx)
  }

  const dispatch = (raw: NdkObject): unknown => {
    const table = raw.Dispatch as unknown as { readonly [k: string]: Fn }
    const out: { [k: string]: Fn } = {}
    for (const [k, f] of Object.entries(table)) {
      if (k.startsWith("NdkClose")) {
        out[k] = close(k, f, raw)
        continue
      }
      out[k] = (...args) => {
        const inner = args.map((a) => (typeof a === "function" ? callback(a as Fn) : unwrap(a)))
        return f(...inner).pipe(Effect.map((result) => {
          fixOut(args)
          if (k === "NdkCreateCq") {
            const created = (args[7] as { value?: unknown }).value
            const rawCq = created === undefined ? undefined : unwrap(created)
            if (isObject(rawCq) && typeof args[2] === "function") notifications.set(rawCq, [args[2] as Fn, args[3]])
          }
          if (kind === "dropFlush" && k === "NdkGetCqResults") {
            return dropCancelled(args[1] as Array<{ readonly Status: number }>, result as number)
          }
          return result
        }))
      }
    }
    return out
  }

  return {
    MiniportAdapterContext: host.MiniportAdapterContext,
    OpenNdkAdapter: (ctx, params, out) =>
      Effect.map(host.OpenNdkAdapter(ctx, params, out), (st) => {
        fixOut([out])
        return st
      }),
    CloseNdkAdapter: (ctx, adapter) => host.CloseNdkAdapter(ctx, unwrap(adapter) as typeof adapter)
  }
}
