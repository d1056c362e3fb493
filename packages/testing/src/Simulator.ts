/**
 * Deterministic simulation: seeded random workloads over simulated hosts (our provider over the simulated NIC),
 * recorded by the {@link EventLog} and checked by the {@link Verifier} online and at the end of every run, under
 * faults chosen from a menu. Everything a run does comes from its seed (one PRNG) and virtual time (a fresh
 * virtual clock per run), so the same seed gives a byte-identical event log.
 *
 * A run: two hosts, each with an adapter, PD, CQ (small when `overrun` is on), QP and a registered buffer with
 * guard bytes around it; a connection through the connection manager; then a random sequence of steps (post
 * receives, sends, RDMA writes, arms, polls, time advances, a sender fiber that is interrupted, a NIC reset, a
 * partition, closes from inside notification callbacks); then every remaining object is closed in a random
 * order and the adapters are closed. Beyond the verifier's checks, a run checks the data integrity of every
 * received message and RDMA write, and a memory oracle: the guard bytes outside the registered range are
 * never written.
 *
 * @since 0.1.0
 */
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkAdapter, NdkConnector, NdkCq, NdkListener, NdkObject, NdkQp } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { createHash } from "node:crypto"
import * as Consumer from "./internal/consumerDriver.js"
import * as R from "./internal/raw.js"
import type * as Common from "./internal/simCommon.js"
import {
  begin,
  end,
  faultSteps,
  GUARD,
  GUARD_BYTE,
  guardOracle,
  MSG,
  orderChecks,
  pattern,
  REGION,
  sharedSteps,
  show,
  shuffle,
  SLOT,
  SLOTS
} from "./internal/simCommon.js"
import type * as World from "./internal/world.js"
import { VirtualClock } from "./VirtualClock.js"

/**
 * The fault menu.
 *
 * @since 0.1.0
 * @category faults
 */
export type Fault = Common.Fault

/**
 * Every fault, in menu order.
 *
 * @since 0.1.0
 * @category faults
 */
export const faults: ReadonlyArray<Fault> = ["loss", "duplicate", "reorder", "partition", "reset", "slow", "overrun"]

/**
 * Parses a comma-separated fault list (`all` = every fault, empty = none).
 *
 * @since 0.1.0
 * @category faults
 */
export const parseFaults = (text: string): Either.Either<ReadonlyArray<Fault>, string> => {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s.length > 0)
  if (parts.length === 1 && parts[0] === "all") return Either.right(faults)
  const out: Array<Fault> = []
  for (const p of parts) {
    const f = faults.find((x) => x === p)
    if (f === undefined) return Either.left(`unknown fault "${p}" (menu: ${faults.join(", ")}, all)`)
    if (!out.includes(f)) out.push(f)
  }
  return Either.right(out)
}

/**
 * Who makes the raw calls of a run: `raw` — the simulator's miniature consumer, straight on the dispatch tables
 * (arms, polls, closes from inside notification callbacks); `consumer` — `@effect-ndk/consumer` (the `Ndk`
 * service), so the verifier also judges the consumer library and the run checks the consumer's own accounting.
 *
 * @since 0.1.0
 * @category models
 */
export type Driver = "raw" | "consumer"

/**
 * Both drivers.
 *
 * @since 0.1.0
 * @category models
 */
export const drivers: ReadonlyArray<Driver> = ["raw", "consumer"]

/**
 * A violation found by the simulator: a verifier check, or one of its own (`DATA_INTEGRITY`, `MEMORY_ORACLE`).
 *
 * @since 0.1.0
 * @category models
 */
export interface Finding extends Common.Finding {}

/**
 * The outcome of one run (seed, faults, log size and hash, findings, counts) and the driver that made it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Run extends Common.Outcome {
  readonly driver: Driver
}

/**
 * The command that replays a run.
 *
 * @since 0.1.0
 * @category formatting
 */
export const replayCommand = (seed: number, fs: ReadonlyArray<Fault>, driver: Driver = "raw"): string =>
  `pnpm sim --seed ${seed} --runs 1 --faults ${fs.length === 0 ? "none" : fs.join(",")}${
    driver === "raw" ? "" : ` --driver ${driver}`
  } --verbose`

interface Side {
  readonly host: World.Host
  readonly adapter: NdkAdapter
  readonly cq: NdkCq
  readonly qp: NdkQp
  readonly base: number
  readonly buf: R.Buffer
  readonly objects: Array<NdkObject>
}

/**
 * Runs one seed (with its own virtual clock: time starts at 0).
 *
 * @since 0.1.0
 * @category running
 */
export const runOne = (
  seed: number,
  fs: ReadonlyArray<Fault>,
  options: {
    readonly steps?: number
    readonly log?: boolean
    /** replaces each provider host before it is recorded (e.g. `Broken.wrapHost`) */
    readonly wrap?: (host: NdkProviderHost) => NdkProviderHost
    /** who makes the raw calls (default `raw`) */
    readonly driver?: Driver
  } = {}
): Effect.Effect<Run, R.Failed> =>
  // a fresh fiber per run: Effect's cooperative yielding counts operations per fiber, so running a seed on a
  // fiber that already ran others would move the yield points and change the interleaving
  Effect.suspend(() =>
    Effect.flatMap(
      Effect.fork(
        Effect.withClock(
          Effect.scoped(
            Effect.map(
              (options.driver === "consumer" ? Consumer.body : body)(
                seed,
                fs,
                options.steps ?? 40,
                options.log === true,
                options.wrap ?? ((h) => h)
              ),
              (outcome): Run => ({ ...outcome, driver: options.driver ?? "raw" })
            )
          ),
          new VirtualClock()
        )
      ),
      Fiber.join
    )
  )

const body = (
  seed: number,
  fs: ReadonlyArray<Fault>,
  steps: number,
  keepLog: boolean,
  wrap: (host: NdkProviderHost) => NdkProviderHost
) =>
  Effect.gen(function*() {
    const run = yield* begin(seed, fs)
    const { finding, has, log, rng, slowMs, world } = run
    const closed = new Set<NdkObject>()
    let pendingCloses = 0
    const closeObj = (o: NdkObject) => {
      if (closed.has(o)) return Effect.void
      closed.add(o)
      pendingCloses++
      return Effect.map(
        R.close(o, () => Effect.sync(() => void pendingCloses--), "close"),
        (st) => {
          if (st === R.S.STATUS_SUCCESS) pendingCloses--
        }
      )
    }
    let received = 0
    let closeInCallback: (() => Effect.Effect<void>) | undefined
    const notified = [0, 0]

    const providers = world.hosts.map((h) => log.wrapHost(wrap(h.provider)))
    const makeSide = (host: World.Host, i: number) =>
      Effect.gen(function*() {
        const provider = providers[i]!
        const adapter = yield* R.open(provider)
        const pd = yield* R.createPd(adapter)
        const cq = yield* R.createCq(
          adapter,
          has("overrun") ? 4 + rng.int(4) : 64,
          () =>
            Effect.gen(function*() {
              notified[i]!++
              if (slowMs > 0) yield* Effect.sleep(`${slowMs} millis`)
              if (closeInCallback !== undefined && i === 1) {
                const c = closeInCallback
                closeInCallback = undefined
                yield* c()
              }
            }),
          `cq${i}`
        )
        const qp = yield* R.createQp(pd, cq, `qp${i}`, has("overrun") ? 8 : 32)
        const base = host.nic.memory.alloc(REGION + 2 * GUARD, 4096)
        host.nic.memory.write(base, new Uint8Array(REGION + 2 * GUARD).fill(GUARD_BYTE))
        const buf = yield* R.registered(pd, base + GUARD, REGION)
        return { host, adapter, cq, qp, base, buf, objects: [qp, buf.mr, cq, pd] } satisfies Side
      })
    const a = yield* makeSide(world.hosts[0]!, 0)
    const b = yield* makeSide(world.hosts[1]!, 1)

    // connection
    let conn: { readonly l: NdkListener; readonly ca: NdkConnector; readonly cb: NdkConnector } | undefined
    const attempt = yield* Effect.either(
      R.establish(
        { adapter: a.adapter, qp: a.qp, ip: R.ipOf(a.host.address) },
        { adapter: b.adapter, qp: b.qp, ip: R.ipOf(b.host.address) },
        9000,
        1500
      )
    )
    if (Either.isRight(attempt)) conn = attempt.right
    const extra: Array<NdkObject> = conn === undefined ? [] : [conn.ca, conn.cb, conn.l]

    // workload
    let sent = 0
    let recvPosted = 0
    let recvDone = 0
    const ready = () => conn !== undefined && !closed.has(a.qp) && !closed.has(b.qp)
    const checkReceives = (
      rs: ReadonlyArray<
        { readonly Status: number; readonly RequestContext: unknown; readonly BytesTransferred: number }
      >
    ) => {
      for (const r of rs) {
        const ctx = r.RequestContext
        if (typeof ctx !== "string" || !ctx.startsWith("recv-")) continue
        recvDone++
        if (r.Status !== R.S.STATUS_SUCCESS) continue
        const slot = Number(ctx.slice(5)) % SLOTS
        const data = b.host.nic.memory.read(b.buf.va + slot * SLOT, MSG)
        if (r.BytesTransferred !== MSG) {
          finding("DATA_INTEGRITY", [], `receive ${ctx}: ${r.BytesTransferred} bytes, sent ${MSG}`)
          continue
        }
        const id = data[0]! | (data[1]! << 8) | (data[2]! << 16) | (data[3]! << 24)
        for (let k = 0; k < MSG; k++) {
          if (data[k] !== pattern(id, k)) {
            finding(
              "DATA_INTEGRITY",
              [],
              `receive ${ctx}: byte ${k} is ${data[k]}, message ${id} has ${pattern(id, k)}`
            )
            break
          }
        }
        received++
      }
    }
    const poll = (s: Side) =>
      closed.has(s.cq)
        ? Effect.void
        : Effect.flatMap(R.drain(s.cq), (rs) => Effect.sync(() => s === b && checkReceives(rs)))
    const send = Effect.gen(function*() {
      if (!ready()) return
      const id = seed * 1000 + sent
      const slot = sent % SLOTS
      const va = a.buf.va + slot * SLOT
      a.host.nic.memory.write(va, new Uint8Array(MSG).map((_, k) => pattern(id, k)))
      sent++
      yield* a.qp.Dispatch.NdkSend(a.qp, `send-${id}`, [Sge.make(BigInt(va), MSG, a.buf.token)], 1, 0)
    })
    const net = faultSteps(world, rng, has)
    const shared = sharedSteps(net, rng, ready, Effect.zipRight(Effect.uninterruptible(send), Effect.sleep("1 millis")))
    const writes: Array<{ readonly off: number; readonly id: number }> = []

    for (let step = 0; step < steps; step++) {
      const roll = rng.int(100)
      if (roll < 20) {
        if (ready() && recvPosted - recvDone < 8) {
          const slot = recvPosted % SLOTS
          yield* b.qp.Dispatch.NdkReceive(b.qp, `recv-${recvPosted}`, [
            Sge.make(BigInt(b.buf.va + slot * SLOT), SLOT, b.buf.token)
          ], 1)
          recvPosted++
        }
      } else if (roll < 38) {
        yield* send
      } else if (roll < 46) {
        if (ready()) {
          const off = SLOT * SLOTS + rng.int(SLOTS) * SLOT
          const id = seed * 1000 + 500 + writes.length
          a.host.nic.memory.write(a.buf.va + off, new Uint8Array(MSG).map((_, k) => pattern(id, k)))
          writes.push({ off, id })
          yield* a.qp.Dispatch.NdkWrite(
            a.qp,
            `write-${id}`,
            [Sge.make(BigInt(a.buf.va + off), MSG, a.buf.token)],
            1,
            BigInt(b.buf.va + off),
            b.buf.remote,
            0
          )
        }
      } else if (roll < 56) {
        const s = rng.chance(0.5) ? a : b
        if (!closed.has(s.cq)) yield* s.cq.Dispatch.NdkArmCq(s.cq, rng.chance(0.8) ? 1 : 3)
      } else if (roll < 68) {
        yield* poll(rng.chance(0.5) ? a : b)
      } else if (roll < 95) {
        yield* shared.step(roll)
      } else if (roll < 98) {
        if (closeInCallback === undefined && conn !== undefined) {
          const victim = rng.pick<NdkObject>([b.qp, conn.cb])
          closeInCallback = () => closeObj(victim)
          if (!closed.has(b.cq)) {
            yield* b.cq.Dispatch.NdkArmCq(b.cq, 1)
          }
        }
      } else {
        const victim = rng.pick<NdkObject>([a.qp, b.qp, ...extra])
        yield* closeObj(victim)
      }
    }
    yield* shared.settle
    closeInCallback = undefined
    yield* R.until(
      () => false,
      5 + rng.int(20),
      1
    )
    yield* poll(a)
    yield* poll(b)

    // every WR completes at most once (R78); successes of one queue come in posting order (R82)
    orderChecks(log.events, finding, R.S.STATUS_SUCCESS)

    // RDMA write integrity (only when nothing could have overwritten the slot: last write per slot, no reset)
    let writesChecked = 0
    if (!net.resetDone()) {
      const last = new Map<number, number>()
      for (const w of writes) last.set(w.off, w.id)
      const writeStatus = new Map<number, boolean>()
      for (const e of log.events) {
        if (e.kind === "return" && e.results !== undefined) {
          for (const r of e.results) writeStatus.set(r.ctx, r.status === R.S.STATUS_SUCCESS)
        }
      }
      for (const [off, id] of last) {
        const ctxId = log.contextId(`write-${id}`)
        if (ctxId === undefined || writeStatus.get(ctxId) !== true) continue
        const data = b.host.nic.memory.read(b.buf.va + off, MSG)
        writesChecked++
        for (let k = 0; k < MSG; k++) {
          if (data[k] !== pattern(id, k)) {
            const expected = new Uint8Array(MSG).map((_, j) => pattern(id, j))
            finding(
              "DATA_INTEGRITY",
              [],
              `RDMA write ${id} (completed STATUS_SUCCESS) to offset ${off}: byte ${k} differs; target starts ${
                show(data)
              }, expected ${show(expected)}`
            )
            break
          }
        }
      }
    }

    // close everything left, in a random order
    const all = [...extra, a.qp, b.qp, a.buf.mr, b.buf.mr, a.cq, b.cq, ...a.objects.slice(3), ...b.objects.slice(3)]
    shuffle(rng, all)
    for (const o of all) {
      yield* closeObj(o)
      if (rng.chance(0.3)) yield* R.until(() => false, 1, 1)
    }
    yield* R.until(() => pendingCloses === 0, 4000, 1)
    if (pendingCloses > 0) {
      finding("CLOSE_NEVER_COMPLETED", ["R14"], `${pendingCloses} close(s) still pending at the end`)
    }
    yield* providers[0]!.CloseNdkAdapter(providers[0]!.MiniportAdapterContext, a.adapter)
    yield* providers[1]!.CloseNdkAdapter(providers[1]!.MiniportAdapterContext, b.adapter)

    // memory oracle: nothing written outside the registered range
    for (const s of [a, b]) guardOracle(s.host, s.base, finding)

    return end(run, { seed, faults: fs, connected: conn !== undefined, received, writes: writesChecked, keepLog })
  })

/**
 * Totals of a batch.
 *
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  readonly runs: number
  /** runs driven through `@effect-ndk/consumer` */
  readonly consumerRuns: number
  readonly events: number
  readonly connected: number
  readonly received: number
  readonly writes: number
  /** findings by check name */
  readonly byCheck: ReadonlyMap<string, number>
  /** seeds with at least one finding */
  readonly failing: ReadonlyArray<number>
  /** SHA-256 over every run's event-log hash, in seed order */
  readonly hash: string
}

/**
 * The driver of `seed` in a batch run with `driver` (`mixed`: odd seeds through the consumer).
 *
 * @since 0.1.0
 * @category running
 */
export const driverOf = (driver: Driver | "mixed", seed: number): Driver =>
  driver === "mixed" ? (seed % 2 === 1 ? "consumer" : "raw") : driver

/**
 * Runs seeds `seed, seed + 1, …` (`runs` of them); `onRun` sees each run as it ends.
 *
 * @since 0.1.0
 * @category running
 */
export const runBatch = (options: {
  readonly seed: number
  readonly runs: number
  readonly faults: ReadonlyArray<Fault>
  readonly steps?: number
  /** `raw` (default), `consumer`, or `mixed`: odd seeds through the consumer, even seeds raw */
  readonly driver?: Driver | "mixed"
  readonly onRun?: (run: Run, index: number) => Effect.Effect<void>
}): Effect.Effect<Summary> =>
  Effect.gen(function*() {
    const h = createHash("sha256")
    const byCheck = new Map<string, number>()
    const failing: Array<number> = []
    let events = 0
    let connected = 0
    let received = 0
    let writes = 0
    let consumerRuns = 0
    for (let i = 0; i < options.runs; i++) {
      const seed = (options.seed + i) >>> 0
      const driver = driverOf(options.driver ?? "raw", seed)
      if (driver === "consumer") consumerRuns++
      const run = yield* runOne(seed, options.faults, {
        driver,
        ...(options.steps === undefined ? {} : { steps: options.steps })
      }).pipe(
        Effect.catchAllCause((cause) =>
          Effect.succeed<Run>({
            seed,
            driver,
            faults: options.faults,
            events: 0,
            hash: "",
            findings: [{ check: "RUN_FAILED", rules: [], text: String(cause) }],
            connected: false,
            received: 0,
            writes: 0
          })
        )
      )
      h.update(run.hash + "\n")
      events += run.events
      if (run.connected) connected++
      received += run.received
      writes += run.writes
      if (run.findings.length > 0) failing.push(seed)
      for (const f of run.findings) byCheck.set(f.check, (byCheck.get(f.check) ?? 0) + 1)
      if (options.onRun !== undefined) yield* options.onRun(run, i)
    }
    return {
      runs: options.runs,
      consumerRuns,
      events,
      connected,
      received,
      writes,
      byCheck,
      failing,
      hash: h.digest("hex")
    }
  })
