/**
 * What both simulator drivers share: the fault menu, the message layout and pattern, findings, and the checks made
 * on every run whichever driver produced it (WR-once and completion order over the event log, the guard-byte
 * memory oracle).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as EventModule from "../Event.js"
import type { Event } from "../Event.js"
import * as EventLog from "../EventLog.js"
import * as Verifier from "../Verifier.js"
import * as R from "./raw.js"
import * as World from "./world.js"

/** @internal */
export type Fault = "loss" | "duplicate" | "reorder" | "partition" | "reset" | "slow" | "overrun"

/** Shuffles `items` in place (Fisher–Yates over `rng`) and returns it. @internal */
export const shuffle = <A>(rng: R.Rng, items: Array<A>): Array<A> => {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    const t = items[i]!
    items[i] = items[j]!
    items[j] = t
  }
  return items
}

/** @internal */
export interface Finding {
  readonly check: string
  readonly rules: ReadonlyArray<string>
  readonly text: string
}

/** message bytes per send / write @internal */
export const MSG = 192
/** bytes per buffer slot @internal */
export const SLOT = 256
/** slots per half of a registered region (receives in the first half, RDMA writes in the second) @internal */
export const SLOTS = 16
/** guard bytes on each side of a registered region @internal */
export const GUARD = 512
/** bytes of a registered region @internal */
export const REGION = SLOT * SLOTS * 2
/** @internal */
export const GUARD_BYTE = 0xa5

/** Byte `k` of message `id`: the id in the first four bytes (little endian), then a pattern. @internal */
export const pattern = (id: number, k: number) => (k < 4 ? (id >>> (8 * k)) & 255 : (id * 7 + k) & 255)

/** The bytes of message `id`. @internal */
export const message = (id: number) => new Uint8Array(MSG).map((_, k) => pattern(id, k))

/** The first difference between `data` and message `id`, as text; undefined when intact. @internal */
export const differs = (data: Uint8Array, id: number): number | undefined => {
  for (let k = 0; k < MSG; k++) if (data[k] !== pattern(id, k)) return k
  return undefined
}

/** The id a received message carries in its first four bytes. @internal */
export const idOf = (data: Uint8Array) => data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)

/** The QP functions that post to its initiator queue. */
const initiatorPosts = new Set([
  "NdkSend",
  "NdkSendAndInvalidate",
  "NdkBind",
  "NdkFastRegister",
  "NdkInvalidate",
  "NdkRead",
  "NdkWrite"
])

/**
 * Every WR completes at most once (R78); successes of one queue come in posting order (R82; context ids are given
 * in order of first appearance, i.e. posting order). The queue of a request is the one its post named: a QP's
 * receive or initiator queue, or an SRQ per consuming QP (R104: the oldest SRQ receive is consumed first).
 *
 * @internal
 */
export const orderChecks = (
  events: ReadonlyArray<Event>,
  finding: (check: string, rules: ReadonlyArray<string>, text: string) => void,
  success: number
): void => {
  const seen = new Map<number, number>()
  const lastOf = new Map<string, number>()
  // the queue each request was posted to: a QP's receive queue, its initiator queue, or an SRQ (whose receives
  // complete in posting order on each QP that consumes them, R104)
  const postedTo = new Map<number, string>()
  for (const e of events) {
    if (e.kind === "call" && e.ctx !== undefined) {
      if (e.fn === "NdkReceive") postedTo.set(e.ctx, `Qp#${e.object} receive`)
      else if (e.fn === "NdkSrqReceive") postedTo.set(e.ctx, `Srq#${e.object}`)
      else if (initiatorPosts.has(e.fn)) postedTo.set(e.ctx, `Qp#${e.object} initiator`)
      continue
    }
    if (e.kind !== "return" || e.results === undefined) continue
    for (const r of e.results) {
      const n = (seen.get(r.ctx) ?? 0) + 1
      seen.set(r.ctx, n)
      if (n === 2) finding("WR_COMPLETES_ONCE", ["R78"], `request context ${r.ctx} completed twice (event #${e.seq})`)
      const queue = `${postedTo.get(r.ctx) ?? "?"} of QPContext ${r.qpCtx}`
      const prev = lastOf.get(queue)
      if (prev !== undefined && r.ctx < prev && r.status === success) {
        finding(
          "COMPLETION_ORDER",
          ["R82"],
          `queue ${queue}: context ${r.ctx} completed after ${prev} (event #${e.seq})`
        )
      }
      lastOf.set(queue, Math.max(prev ?? 0, r.ctx))
    }
  }
}

/** Memory oracle: nothing written outside the registered range `[base + GUARD, base + GUARD + REGION)`. @internal */
export const guardOracle = (
  host: World.Host,
  base: number,
  finding: (check: string, rules: ReadonlyArray<string>, text: string) => void
): void => {
  for (const [from, to] of [[base, base + GUARD], [base + GUARD + REGION, base + 2 * GUARD + REGION]]) {
    const bytes = host.nic.memory.read(from!, to! - from!)
    const k = bytes.findIndex((x) => x !== GUARD_BYTE)
    if (k >= 0) finding("MEMORY_ORACLE", [], `host ${host.address}: guard byte at VA ${from! + k} was written`)
  }
}

/** The first bytes of a buffer in hex (for findings). @internal */
export const show = (b: Uint8Array) => Array.from(b.subarray(0, 8), (x) => x.toString(16).padStart(2, "0")).join("")

/**
 * The start of a run, the same for both drivers (and so the same PRNG draws, in the same order): findings, the
 * completion mode of the providers, the two hosts on a fabric with the run's faults, the event log and its online
 * verifier, the `slow` delay.
 *
 * @internal
 */
export const begin = (seed: number, fs: ReadonlyArray<Fault>) =>
  Effect.gen(function*() {
    const rng = R.rng(seed)
    const has = (f: Fault) => fs.includes(f)
    const findings: Array<Finding> = []
    const finding = (check: string, rules: ReadonlyArray<string>, text: string) =>
      void findings.push({ check, rules, text })
    const modes = ["inline", "pending", "pendingInline"] as const
    const mode = rng.pick(modes)
    const world = yield* World.make(2, {
      fabric: {
        seed,
        latencyUs: rng.int(20),
        faults: {
          loss: has("loss") ? rng.next() * 0.05 : 0,
          duplicate: has("duplicate") ? rng.next() * 0.05 : 0,
          reorder: has("reorder") ? rng.next() * 0.1 : 0
        }
      },
      provider: (i) => ({ seed: seed * 2 + i, mode })
    })
    const log = EventLog.unsafeMake()
    const verifier = Verifier.attach(log)
    const slowMs = has("slow") ? 1 + rng.int(3) : 0
    return { rng, has, findings, finding, world, log, verifier, slowMs }
  })

/**
 * The fabric and NIC fault steps of a run: a NIC reset of a random host (once, under `reset`), a partition that
 * the next partition step heals (under `partition`), and the final heal.
 *
 * @internal
 */
export const faultSteps = (
  world: { readonly hosts: ReadonlyArray<World.Host>; readonly fabric: Fabric },
  rng: R.Rng,
  has: (f: Fault) => boolean
) => {
  let resetDone = false
  let partitioned = false
  return {
    resetDone: () => resetDone,
    reset: Effect.suspend(() => {
      if (!has("reset") || resetDone) return Effect.void
      resetDone = true
      return rng.pick(world.hosts).provider.reset
    }),
    partition: Effect.suspend(() => {
      if (!has("partition")) return Effect.void
      const step = partitioned ? world.fabric.heal() : world.fabric.partition(1, 2)
      partitioned = !partitioned
      return step
    }),
    heal: Effect.suspend(() => partitioned ? world.fabric.heal() : Effect.void)
  }
}
type Fabric = Effect.Effect.Success<ReturnType<typeof World.make>>["fabric"]

/**
 * The scenario steps both drivers take for a roll in [68, 95): a short wait (68–84); starting a background sender of
 * a few messages when there is none and the connection is ready, else interrupting it (85–88); a connection reset
 * (89–91); a partition step (92–94). `sendOne` sends one message and waits a little. `settle` ends the workload:
 * it interrupts the sender and heals the network.
 *
 * @internal
 */
export const sharedSteps = (
  net: ReturnType<typeof faultSteps>,
  rng: R.Rng,
  ready: () => boolean,
  sendOne: Effect.Effect<void>
) => {
  let worker: Fiber.RuntimeFiber<void> | undefined
  return {
    step: (roll: number): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (roll < 85) {
          yield* R.until(() => false, 1 + rng.int(4), 1)
        } else if (roll < 89) {
          if (worker === undefined && ready()) {
            const n = 1 + rng.int(6)
            worker = yield* Effect.fork(Effect.forEach(Array.from({ length: n }), () => sendOne, { discard: true }))
          } else if (worker !== undefined) {
            yield* Fiber.interrupt(worker)
          }
        } else if (roll < 92) {
          yield* net.reset
        } else {
          yield* net.partition
        }
      }),
    settle: Effect.gen(function*() {
      if (worker !== undefined) yield* Fiber.interrupt(worker)
      yield* net.heal
    })
  }
}

/** What one run of either driver reports (the public `Run` adds the driver). @internal */
export interface Outcome {
  readonly seed: number
  readonly faults: ReadonlyArray<Fault>
  readonly events: number
  readonly hash: string
  readonly findings: ReadonlyArray<Finding>
  /** whether the connection was established (faults may prevent it; that is not a violation) */
  readonly connected: boolean
  /** messages received and checked */
  readonly received: number
  /** RDMA writes whose target was checked */
  readonly writes: number
  /** the whole event log, formatted one event a line (only when asked for with `log: true`) */
  readonly log?: string
}

/**
 * The end of a run, the same for both drivers: the verifier's end-of-log checks join the findings; the outcome
 * with the log's hash (and the whole log, formatted, when asked for).
 *
 * @internal
 */
export const end = (
  run: Effect.Effect.Success<ReturnType<typeof begin>>,
  result: {
    readonly seed: number
    readonly faults: ReadonlyArray<Fault>
    readonly connected: boolean
    readonly received: number
    readonly writes: number
    readonly keepLog: boolean
  }
): Outcome => {
  run.verifier.detach()
  for (const v of run.verifier.finish()) run.finding(v.check, v.rules, Verifier.format(v))
  return {
    seed: result.seed,
    faults: result.faults,
    events: run.log.events.length,
    hash: EventLog.hash(run.log),
    findings: run.findings,
    connected: result.connected,
    received: result.received,
    writes: result.writes,
    ...(result.keepLog ? { log: run.log.events.map(EventModule.format).join("\n") } : {})
  }
}
