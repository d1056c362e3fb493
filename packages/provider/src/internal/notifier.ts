/**
 * Notification delivery of one object (a CQ or an SRQ): one long-lived delivery fiber, not a fiber per
 * notification. The fiber starts with the first notification, parks while nothing is queued and is resumed
 * directly (one scheduler hop) by the next; it ends once the object's close was requested. Notifications of one
 * object are serialized (R63) and never run inside the provider call that queued them (the fiber runs only after
 * the caller yields). The fiber is marked as callback context once for its whole life (R39/R47 checks) instead of
 * per callback. A notification raised by the engine may instead run the consumer's synchronous twin of its callback
 * on the spot ({@link Notifier.raiseFromEngine}: no hop at all) when nothing else of this object is in flight.
 */
import { Lifetime as L } from "@effect-ndk/lifetime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type { ObjectImpl } from "./object.js"
import { insideCallback } from "./object.js"
import { Wakeable } from "./wakeable.js"

/** Where the delivery fiber is: between notifications, inside a begun one, or after one that made a close ready. */
const IDLE = 0
const IN_CALLBACK = 1
const SETTLE = 2

export class Notifier {
  private readonly queue: Array<number> = []
  private phase = IDLE
  /** notifications queued (or waiting out a moderation delay) whose callback has not started yet */
  private undelivered = 0

  constructor(
    readonly impl: ObjectImpl,
    /** the consumer's callback for one notification status */
    readonly callback: (status: number) => Effect.Effect<void>,
    /** a wait before a notification is raised (CQ interrupt moderation), or undefined for none */
    readonly delay: (status: number) => Effect.Effect<void> | undefined,
    /** the consumer's synchronous twin of `callback`, when it has one (read at every notification) */
    readonly unsafeCallback: () => ((status: number) => void) | undefined = () => undefined
  ) {}

  /**
   * Raises a notification from the engine's context (the NIC driver, never inside a consumer's call). When the
   * consumer's callback has a synchronous twin, nothing is queued or in progress, no moderation delay applies and
   * no event sink records callbacks, the twin runs right here — no fiber hop. Otherwise it is queued like
   * {@link enqueue}.
   */
  raiseFromEngine(status: number): void {
    const twin = this.unsafeCallback()
    const k = this.impl.adapter.kernel
    if (
      twin === undefined || k.sink !== undefined || this.queue.length > 0 ||
      this.worker.busy || this.delay(status) !== undefined
    ) {
      this.enqueue(status)
      return
    }
    const rec = this.impl.rec
    // refused once the close was requested (R19)
    if (!L.unsafeBeginNotification(k, rec)) return
    try {
      twin(status)
    } catch (defect) {
      this.impl.adapter.core.fork(
        Effect.logError(
          `provider: notification callback of object ${rec.id} failed (contained, counts as returned)`,
          Cause.die(defect)
        )
      )
    }
    // the close waited for this callback: its completion fires now (R17), from a fiber of its own
    if (L.unsafeEndNotification(k, rec)) {
      this.impl.adapter.core.fork(Effect.locally(L.settle(k, rec), insideCallback, true))
    }
  }

  /**
   * Whether a notification was decided but its callback has not started yet. The raise is the moment the
   * callback starts (SPEC.md §10.7 rule 1): until then an arm of the object merges into the pending one.
   */
  get pending(): boolean {
    return this.undelivered > 0
  }

  /** Queues one notification (any fiber, any context): the delivery fiber raises it later. */
  enqueue(status: number): void {
    this.queue.push(status)
    this.undelivered++
    this.worker.wake()
  }

  /** Drops what is queued (the close's cancel step: nothing starts after the close call, R19). */
  clear(): void {
    this.queue.length = 0
    this.undelivered = 0
  }

  /** After the close was requested: wakes a parked delivery fiber so it ends. */
  stop(): void {
    this.queue.length = 0
    this.undelivered = 0
    this.worker.resume()
  }

  private readonly step: Effect.Effect<void> = Effect.suspend(() => this.next())

  private next(): Effect.Effect<void> {
    this.phase = IDLE
    if (!L.mayNotify(this.impl.rec)) {
      this.queue.length = 0
      this.undelivered = 0
      return Effect.void
    }
    const status = this.queue.shift()
    if (status === undefined) return this.worker.park
    const delay = this.delay(status)
    if (delay !== undefined) return Effect.zipRight(delay, Effect.suspend(() => this.raise(status)))
    return this.raise(status)
  }

  /** Raises one notification through the kernel (refused once the close was requested, R19). */
  private raise(status: number): Effect.Effect<void> {
    // from here to the callback's start nothing yields: the notification is no longer pending (started, or refused
    // because the close was requested)
    if (this.undelivered > 0) this.undelivered--
    const k = this.impl.adapter.kernel
    const rec = this.impl.rec
    if (k.sink !== undefined) {
      // with an event sink the kernel's own path records every callback event
      return Effect.zipRight(L.notify(k, rec, Effect.suspend(() => this.callback(status))), this.step)
    }
    if (!L.unsafeBeginNotification(k, rec)) return this.step
    this.phase = IN_CALLBACK
    let cb: Effect.Effect<void>
    try {
      cb = this.callback(status)
    } catch (defect) {
      cb = Effect.die(defect)
    }
    return Effect.matchCauseEffect(cb, this.returned)
  }

  /** The callback returned (a failure or defect is contained: logged, and counts as returned, like R17's rule). */
  private readonly returned = {
    onFailure: (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
      Cause.isInterruptedOnly(cause)
        ? this.ended()
        : Effect.zipRight(
          Effect.logError(
            `provider: notification callback of object ${this.impl.rec.id} failed (contained, counts as returned)`,
            cause
          ),
          Effect.suspend(() => this.ended())
        ),
    onSuccess: (): Effect.Effect<void> => this.ended()
  }

  private ended(): Effect.Effect<void> {
    const k = this.impl.adapter.kernel
    const rec = this.impl.rec
    if (!L.unsafeEndNotification(k, rec)) return this.next()
    // the close waited for this callback: its completion fires now (R17)
    this.phase = SETTLE
    return Effect.zipRight(L.settle(k, rec), this.step)
  }

  /** Interrupted (provider scope closing) inside a notification: it still ends, and a ready close still fires. */
  private readonly stopped = Effect.suspend(() => {
    const phase = this.phase
    this.phase = IDLE
    const k = this.impl.adapter.kernel
    const rec = this.impl.rec
    if (phase === IN_CALLBACK) return L.unsafeEndNotification(k, rec) ? L.settle(k, rec) : Effect.void
    if (phase === SETTLE) return L.settle(k, rec)
    return Effect.void
  })

  /** the delivery fiber: parks until the next notification (or the close) */
  private readonly worker = new Wakeable(
    (effect) => this.impl.adapter.core.fork(effect),
    this.step,
    () => this.queue.length > 0 || !L.mayNotify(this.impl.rec),
    this.stopped
  )
}
