/**
 * The event log: wraps any implementation of the raw provider interface (an `NdkProviderHost`, the adapters it
 * opens, every object handed out by a create call, a create completion or a connect event) and records every raw
 * call, its return, and the start and end of every consumer callback. The wrapper is transparent: statuses,
 * return values and contexts are passed through unchanged (contexts by identity), wrapped objects share the
 * provider's `Header`, and `unsafe` twins are wrapped synchronously.
 *
 * Objects, contexts and fibers are named by small ids in order of first appearance, and time is read from the
 * Effect `Clock` of the calling fiber, so a deterministic run under `TestClock` produces a byte-identical log.
 *
 * @since 0.1.0
 */
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import { NdkProvider } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkAdapter } from "@effect-ndk/ndkpi/RawInterface"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Event from "./Event.js"
import * as internal from "./internal/eventLog.js"

/**
 * A log and the wrapper that feeds it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Log {
  /** Every event so far, in order (a live view: it grows as the run goes on). */
  readonly events: ReadonlyArray<Event.Event>
  /** Calls `listener` synchronously with each new event (for online checks); returns the unsubscribe. */
  readonly subscribe: (listener: (event: Event.Event) => void) => () => void
  /** Wraps a provider host: adapters it opens, and everything reachable from them, are recorded. */
  readonly wrapHost: (host: NdkProviderHost) => NdkProviderHost
  /** Wraps an adapter obtained some other way (e.g. through WSK). */
  readonly wrapAdapter: (adapter: NdkAdapter) => NdkAdapter
  /** The id the log gave an object (raw or wrapped), if it has seen it. */
  readonly objectId: (object: unknown) => number | undefined
  /** The id the log gave a context value, if it has seen it. */
  readonly contextId: (context: unknown) => number | undefined
  /** The provider's own object behind a wrapped one (anything else is returned as is). */
  readonly unwrap: <A>(object: A) => A
}

/**
 * A fresh, empty log (synchronous; the log is plain mutable state).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake: () => Log = internal.make

/**
 * A fresh, empty log.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Log> = Effect.sync(internal.make)

/**
 * The log of the current run.
 *
 * @since 0.1.0
 * @category tags
 */
export class EventLog extends Context.Tag("@effect-ndk/testing/EventLog")<EventLog, Log>() {}

/**
 * Replaces the `NdkProvider` it is given by a recording wrapper over it and provides the log:
 * `EventLog.layer.pipe(Layer.provide(providerLayer))` gives a recorded provider and its `EventLog`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<NdkProvider | EventLog, never, NdkProvider> = Layer.effectContext(
  Effect.gen(function*() {
    const host = yield* NdkProvider
    const log = internal.make()
    return Context.make(EventLog, log).pipe(Context.add(NdkProvider, log.wrapHost(host)))
  })
)

/**
 * A provider layer with recording: `NdkProvider` is the wrapped provider, `EventLog` its log.
 *
 * @since 0.1.0
 * @category layers
 */
export const wrap = <E, R>(
  provider: Layer.Layer<NdkProvider, E, R>
): Layer.Layer<NdkProvider | EventLog, E, R> => Layer.provide(layer, provider)

/**
 * The log as JSON lines (see `Event.toJsonLines`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJsonLines = (log: Log): string => Event.toJsonLines(log.events)

/**
 * SHA-256 of the JSON-lines export (see `Event.hash`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const hash = (log: Log): string => Event.hash(log.events)
