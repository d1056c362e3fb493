/**
 * A virtual clock for simulations: time moves only when the simulation moves it. `TestClock.adjust` waits for
 * a real timer on every call (about 4 ms here), which would dominate a run of many 1 ms hops; this clock wakes
 * the due sleepers in (time, arrival) order and lets the woken fibers run, without touching real time.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

interface Sleeper {
  readonly at: number
  readonly seq: number
  readonly wake: (effect: Effect.Effect<void>) => void
  cancelled: boolean
}

/** @internal */
export class VirtualClock implements Clock.Clock {
  readonly [Clock.ClockTypeId]: Clock.ClockTypeId = Clock.ClockTypeId
  now = 0
  private seq = 0
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
      const s: Sleeper = { at: this.now + Duration.toMillis(duration), seq: this.seq++, wake, cancelled: false }
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
  /** Moves time forward by `ms`, waking every sleeper due on the way, each batch followed by a few yields. */
  adjust(ms: number): Effect.Effect<void> {
    return Effect.gen(this, function*() {
      const target = this.now + ms
      for (;;) {
        while (this.sleepers.length > 0 && this.sleepers[0]!.cancelled) this.sleepers.shift()
        const first = this.sleepers[0]
        if (first === undefined || first.at > target) break
        if (first.at > this.now) this.now = first.at
        while (this.sleepers.length > 0 && this.sleepers[0]!.at <= this.now) {
          const s = this.sleepers.shift()!
          if (!s.cancelled) s.wake(Effect.void)
        }
        for (let y = 0; y < 4; y++) yield* Effect.yieldNow()
      }
      this.now = target
    })
  }
}
