/**
 * A virtual clock for simulations and runnable programs: time moves only when the runner moves it. Effect's
 * `TestClock.adjust` waits for a real timer on every call (about 4 ms on the shared machine), which would dominate
 * a run of many short hops; this clock wakes the due sleepers in (time, arrival) order and lets the woken fibers
 * run, without touching real time.
 *
 * Two ways to move it:
 * - {@link VirtualClock.advance}: jump straight to the earliest pending wake-up (the runner of examples and the
 *   main job: {@link run});
 * - {@link VirtualClock.adjust}: move forward by a fixed amount, waking everything due on the way (the simulator's
 *   settle loops).
 *
 * The one implementation for the simulator, the examples and the demo (`npm start`).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

interface Sleeper {
  readonly at: number
  readonly wake: (effect: Effect.Effect<void>) => void
  cancelled: boolean
}

/**
 * A `Clock` whose time moves only through {@link VirtualClock.advance} and {@link VirtualClock.adjust}. Install
 * it with `Effect.withClock(effect, clock)`; every `Effect.sleep` and `Clock` read below then uses it.
 *
 * @since 0.1.0
 * @category models
 */
export class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  /** virtual now, in milliseconds */
  now = 0
  /** sleepers sorted by (wake-up time, arrival) */
  private readonly sleepers: Array<Sleeper> = []
  unsafeCurrentTimeMillis(): number {
    return this.now
  }
  unsafeCurrentTimeNanos(): bigint {
    return BigInt(Math.round(this.now * 1_000_000))
  }
  readonly currentTimeMillis: Effect.Effect<number> = Effect.sync(() => this.now)
  readonly currentTimeNanos: Effect.Effect<bigint> = Effect.sync(() => this.unsafeCurrentTimeNanos())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.async<void>((wake) => {
      const s: Sleeper = { at: this.now + Duration.toMillis(duration), wake, cancelled: false }
      // sorted insert after every sleeper due at the same time or earlier (arrival order among equals)
      let lo = 0
      let hi = this.sleepers.length
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (this.sleepers[mid]!.at <= s.at) lo = mid + 1
        else hi = mid
      }
      this.sleepers.splice(lo, 0, s)
      return Effect.sync(() => {
        s.cancelled = true
      })
    })
  }
  /** Sleepers not yet woken (cancelled ones included until they reach the front). */
  pending(): number {
    return this.sleepers.length
  }
  /** Wakes every sleeper due at or before `now`. */
  private wakeDue(): void {
    while (this.sleepers.length > 0 && this.sleepers[0]!.at <= this.now) {
      const s = this.sleepers.shift()!
      if (!s.cancelled) s.wake(Effect.void)
    }
  }
  private dropCancelled(): void {
    while (this.sleepers.length > 0 && this.sleepers[0]!.cancelled) this.sleepers.shift()
  }
  /** Jumps to the earliest pending wake-up and wakes every sleeper due then; false when nothing is scheduled. */
  advance(): boolean {
    this.dropCancelled()
    if (this.sleepers.length === 0) return false
    const at = this.sleepers[0]!.at
    if (at > this.now) this.now = at
    this.wakeDue()
    return true
  }
  /** Moves time forward by `ms`, waking every sleeper due on the way, each batch followed by a few yields. */
  adjust(ms: number): Effect.Effect<void> {
    return Effect.gen(this, function*() {
      const target = this.now + ms
      for (;;) {
        this.dropCancelled()
        const first = this.sleepers[0]
        if (first === undefined || first.at > target) break
        if (first.at > this.now) this.now = first.at
        this.wakeDue()
        for (let y = 0; y < 4; y++) yield* Effect.yieldNow()
      }
      this.now = target
    })
  }
}

/**
 * A fresh clock at time 0.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): VirtualClock => new VirtualClock()

/**
 * Runs a scoped program in virtual time: the program runs in a fiber; after letting the fibers take their turns,
 * the loop moves a fresh virtual clock straight to the next scheduled wake-up. Dies with a clear message when the
 * program is stuck (nothing scheduled, the fiber not done) or virtual time passes `limitMs`.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <A, E>(program: Effect.Effect<A, E, Scope.Scope>, limitMs = 600_000): Effect.Effect<A, E> =>
  Effect.suspend(() => {
    const clock = new VirtualClock()
    return Effect.withClock(
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(Effect.scoped(program))
        let idle = 0
        for (;;) {
          for (let y = 0; y < 8; y++) yield* Effect.yieldNow()
          const done = yield* fiber.poll
          if (done._tag === "Some") return yield* Fiber.join(fiber)
          if (!clock.advance()) {
            if (++idle > 10_000) {
              return yield* Effect.dieMessage("virtual time: the program is stuck (nothing scheduled)")
            }
            continue
          }
          idle = 0
          if (clock.now > limitMs) return yield* Effect.dieMessage(`virtual time: limit of ${limitMs} ms passed`)
        }
      }),
      clock
    )
  })
