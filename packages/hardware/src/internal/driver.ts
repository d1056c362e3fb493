/**
 * The engine driver: one loop per fabric, not a fiber per NIC. A doorbell (any `wake` of a NIC) queues that
 * NIC's engine and, when the loop is parked, schedules one run on a fresh microtask (a promise reaction) — never
 * inline, so no event handler runs inside the call that rang the doorbell. A run makes rounds: one bounded pass of
 * every queued engine, then every engine's event delivery; a packet sent to a peer on the same fabric queues the
 * peer, which makes its pass in the next round of the same run (a zero-latency round trip costs no scheduler hop).
 *
 * A run ends after a round that delivered events: the handlers have just woken the application (fibers resumed,
 * promises settled — all on microtasks queued before the next run), and whatever the application posts in
 * reaction then meets the engines' remaining work in one pass. The engines still queued are carried over and go
 * after the ones rung since: on a ping-pong the ACK of the last message and the answer to it reach the sender in
 * the same pass — one pass and one CQ event per direction fewer.
 *
 * Fairness: a run makes at most `MAX_ROUNDS` rounds (each pass is bounded by the NIC's pass budget), then
 * reschedules itself; every 256th consecutive run goes through `setImmediate`, giving the event loop a turn (the
 * count restarts whenever the loop parks). No timers: time only moves through the Clock (virtual in tests), read
 * once per run (every pass of a run sees the same time), and the order of passes depends only on the order of
 * doorbells, so runs are deterministic.
 */

/** What the driver runs: one NIC's engine. */
export interface Engine {
  /** in the driver's run list */
  queued: boolean
  /** one bounded pass; true when more work is immediately available */
  pass(): boolean
  /**
   * delivers the events the pass raised (synchronous handlers run here; Effect handlers are handed over); true
   * when it delivered any
   */
  deliver(): boolean
}

const MAX_ROUNDS = 64
/**
 * A run goes on a microtask through an already resolved promise: in Node `queueMicrotask` wraps every callback in
 * an async resource (about twice the cost of a promise reaction).
 */
const resolved = Promise.resolve()
const TURN_EVERY = 256

/** What the driver needs from its fabric: the run's time is read once (no time passes inside a run). */
export interface RunClock {
  freezeTime(): void
  thawTime(): void
}

export class Driver {
  /** the engines queued for the next round (`count` of them; slots past it are cleared) */
  private list: Array<Engine | undefined> = []
  private count = 0
  private spare: Array<Engine | undefined> = []
  /** engines still queued when the last run ended: they follow the ones rung since (`carriedCount` of them) */
  private carried: Array<Engine | undefined> = []
  private carriedCount = 0
  private scheduled = false
  private running = false
  private runs = 0
  /** counters (inspection): runs made, rounds made */
  readonly counters = { runs: 0, rounds: 0 }

  constructor(private readonly clock: RunClock) {}

  /** Queues an engine; starts a run on a later microtask when the loop is parked. */
  kick(e: Engine): void {
    if (!e.queued) {
      e.queued = true
      this.list[this.count++] = e
    }
    if (!this.scheduled && !this.running) {
      this.scheduled = true
      this.schedule()
    }
  }

  /** True while a run is scheduled or in progress (inspection for deterministic test stepping). */
  get active(): boolean {
    return this.scheduled || this.running
  }

  private schedule(): void {
    if (++this.runs % TURN_EVERY === 0) setImmediate(this.run)
    else resolved.then(this.run)
  }

  private readonly run = (): void => {
    this.scheduled = false
    this.running = true
    this.counters.runs++
    this.clock.freezeTime()
    try {
      // the engines carried over from the last run go after the ones rung since it ended
      const carried = this.carried
      for (let k = 0; k < this.carriedCount; k++) {
        this.list[this.count++] = carried[k]
        carried[k] = undefined
      }
      this.carriedCount = 0
      for (let round = 0; round < MAX_ROUNDS && this.count > 0; round++) {
        this.counters.rounds++
        const batch = this.list
        const n = this.count
        this.list = this.spare
        this.count = 0
        for (let k = 0; k < n; k++) {
          const e = batch[k]!
          e.queued = false
          if (e.pass() && !e.queued) {
            e.queued = true
            this.list[this.count++] = e
          }
        }
        let delivered = false
        for (let k = 0; k < n; k++) {
          if (batch[k]!.deliver()) delivered = true
          batch[k] = undefined
        }
        this.spare = batch
        // the application was woken: let it react before the rest (see above)
        if (delivered) break
      }
    } finally {
      this.clock.thawTime()
      this.running = false
    }
    if (this.count > 0) {
      const c = this.carried
      this.carried = this.list
      this.carriedCount = this.count
      this.list = c
      this.count = 0
      this.scheduled = true
      this.schedule()
    } else {
      this.runs = 0
    }
  }
}
