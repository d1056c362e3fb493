/**
 * One long-lived worker fiber that is started by the first wake, parks while it has nothing to do and is resumed
 * directly (one scheduler hop, no fork) by the next wake. Used by the host's connection delivery lane (cm.ts) and
 * by the notification delivery of a CQ or SRQ (notifier.ts): a fiber per queue, never a fiber per item.
 *
 * The owner supplies the worker's `step` (which ends with {@link Wakeable.park} once nothing is left) and whether
 * work is waiting. A started or resumed worker runs only after the waking caller yields, so the work never runs
 * inside the call that queued it. The worker runs as callback context for its whole life (both users deliver
 * consumer callbacks; R39/R47 checks).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { insideCallback } from "./object.js"

export class Wakeable {
  private running = false
  private parked: ((effect: Effect.Effect<void>) => void) | undefined = undefined

  constructor(
    /** forks the worker fiber (the owner's runtime) */
    private readonly fork: (effect: Effect.Effect<void>) => unknown,
    /** one step of the worker: does some work, then continues with itself, or with `park` when none is left */
    private readonly step: Effect.Effect<void>,
    /** whether the worker must not park (work is waiting, or the owner wants it to end) */
    private readonly ready: () => boolean,
    /** runs when the worker fiber ends (done or interrupted), after the worker state was reset */
    onEnd: Effect.Effect<void> = Effect.void
  ) {
    this.fiber = Effect.ensuring(
      Effect.locally(step, insideCallback, true),
      Effect.suspend(() => {
        this.running = false
        this.parked = undefined
        return onEnd
      })
    )
  }

  private readonly fiber: Effect.Effect<void>

  /** Parks the worker until the next wake; continues with `step` at once when `ready()`. */
  readonly park: Effect.Effect<void> = Effect.async<void>((resume) => {
    if (this.ready()) resume(this.step)
    else this.parked = resume
  })

  /** Wakes the worker: resumes it when parked, starts it when not running, else nothing (it is mid-step). */
  wake(): void {
    if (this.resume()) return
    if (this.running) return
    this.running = true
    this.fork(this.fiber)
  }

  /** Resumes a parked worker (never starts one); whether it was parked. */
  resume(): boolean {
    const w = this.parked
    if (w === undefined) return false
    this.parked = undefined
    w(this.step)
    return true
  }

  /** Whether the worker is mid-step (running and not parked). */
  get busy(): boolean {
    return this.running && this.parked === undefined
  }
}
