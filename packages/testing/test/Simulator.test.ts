import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Broken from "../src/Broken.js"
import * as Report from "../src/Report.js"
import * as Simulator from "../src/Simulator.js"

/**
 * Seeds per CI batch. Measured on the shared 2-core machine: ~1000 runs/minute with every fault on through the raw
 * driver, ~600–800 through the consumer. The batches run mixed (odd seeds through @effect-ndk/consumer, even seeds
 * raw), so 2 × 120 seeds take about 25–35 s of the package's minute.
 */
const CI_SEEDS = 120

describe("Simulator", () => {
  it.effect("same seed ⇒ byte-identical event log (hash), whatever ran before it", () =>
    Effect.gen(function*() {
      const a = yield* Simulator.runOne(7, Simulator.faults, { log: true })
      const b = yield* Simulator.runOne(7, Simulator.faults, { log: true })
      expect(a.hash).toMatch(/^[0-9a-f]{64}$/)
      expect(b.hash).toBe(a.hash)
      expect(b.log).toBe(a.log)
      const batch = yield* Simulator.runBatch({ seed: 5, runs: 3, faults: Simulator.faults })
      const again = yield* Simulator.runBatch({ seed: 5, runs: 3, faults: Simulator.faults })
      expect(again.hash).toBe(batch.hash)
      const c = yield* Simulator.runOne(8, Simulator.faults)
      expect(c.hash).not.toBe(a.hash)
      const d = yield* Simulator.runOne(7, [])
      expect(d.hash).not.toBe(a.hash)
    }))

  it.effect("consumer driver: same seed ⇒ byte-identical event log; differs from the raw driver's", () =>
    Effect.gen(function*() {
      const a = yield* Simulator.runOne(7, Simulator.faults, { log: true, driver: "consumer" })
      const b = yield* Simulator.runOne(7, Simulator.faults, { log: true, driver: "consumer" })
      expect(a.driver).toBe("consumer")
      expect(b.hash).toBe(a.hash)
      expect(b.log).toBe(a.log)
      const raw = yield* Simulator.runOne(7, Simulator.faults)
      expect(raw.hash).not.toBe(a.hash)
      const mixed = yield* Simulator.runBatch({ seed: 5, runs: 4, faults: [], driver: "mixed" })
      const again = yield* Simulator.runBatch({ seed: 5, runs: 4, faults: [], driver: "mixed" })
      expect(mixed.consumerRuns).toBe(2)
      expect(again.hash).toBe(mixed.hash)
    }))

  it.effect("fixed (R31): consumer seed 1 — an MR closed early is not deregistered by its scope's release", () =>
    Effect.gen(function*() {
      const r = yield* Simulator.runOne(1, [], { driver: "consumer", steps: 0 })
      expect(r.connected).toBe(true)
      expect(r.findings).toEqual([])
    }))

  it.effect("fixed (R31): consumer seed 1, 3 steps — a CQ closed before its QP is not polled by the QP's close", () =>
    Effect.gen(function*() {
      const r = yield* Simulator.runOne(1, [], { driver: "consumer", steps: 3 })
      expect(r.findings).toEqual([])
    }))

  it.effect("fixed: consumer seed 1, 30 steps — a pre-posted receive awaited twice resolves both times", () =>
    Effect.gen(function*() {
      const r = yield* Simulator.runOne(1, [], { driver: "consumer", steps: 30 })
      expect(r.received).toBeGreaterThan(0)
      expect(r.findings).toEqual([])
    }))

  it.effect("a broken provider under the consumer driver is caught (closeTwice ⇒ PENDING_COMPLETES_ONCE)", () =>
    Effect.gen(function*() {
      const checks = new Set<string>()
      for (let seed = 1; seed <= 5; seed++) {
        const r = yield* Simulator.runOne(seed, [], {
          driver: "consumer",
          wrap: (h) => Broken.wrapHost("closeTwice", h)
        })
        for (const f of r.findings) checks.add(f.check)
      }
      expect(checks).toContain("PENDING_COMPLETES_ONCE")
    }))

  it("parses the fault menu and prints the replay command", () => {
    expect(Simulator.parseFaults("loss,reset")).toEqual(Either.right(["loss", "reset"]))
    expect(Simulator.parseFaults("all")).toEqual(Either.right(Simulator.faults))
    expect(Either.isLeft(Simulator.parseFaults("loss,meteor"))).toBe(true)
    expect(Simulator.replayCommand(42, ["loss", "slow"])).toBe(
      "pnpm sim --seed 42 --runs 1 --faults loss,slow --verbose"
    )
    expect(Simulator.replayCommand(43, [], "consumer")).toBe(
      "pnpm sim --seed 43 --runs 1 --faults none --driver consumer --verbose"
    )
    expect(Simulator.driverOf("mixed", 3)).toBe("consumer")
    expect(Simulator.driverOf("mixed", 4)).toBe("raw")
  })

  it.effect("a broken provider fails its seeds with the named check (closeTwice ⇒ PENDING_COMPLETES_ONCE)", () =>
    Effect.gen(function*() {
      const checks = new Set<string>()
      for (let seed = 1; seed <= 5; seed++) {
        const r = yield* Simulator.runOne(seed, [], { wrap: (h) => Broken.wrapHost("closeTwice", h) })
        for (const f of r.findings) checks.add(f.check)
      }
      expect(checks).toContain("PENDING_COMPLETES_ONCE")
    }))

  it.effect("a broken provider is caught: antecedentFirst ⇒ ANTECEDENT_CLOSES_LAST", () =>
    Effect.gen(function*() {
      const checks = new Set<string>()
      for (let seed = 1; seed <= 5; seed++) {
        const r = yield* Simulator.runOne(seed, [], { wrap: (h) => Broken.wrapHost("antecedentFirst", h) })
        for (const f of r.findings) checks.add(f.check)
      }
      expect(checks).toContain("ANTECEDENT_CLOSES_LAST")
    }))

  it.effect("fixed (R57): seed 2 without faults — arms between satisfaction and callback start merge into it", () =>
    Effect.gen(function*() {
      const r = yield* Simulator.runOne(2, [])
      expect(r.findings).toEqual([])
    }))

  it.effect("fixed (R78/R99): seed 1067 without faults — no WR reports STATUS_SUCCESS for data that never landed", () =>
    Effect.gen(function*() {
      const r = yield* Simulator.runOne(1067, [])
      expect(r.writes + r.received).toBeGreaterThan(0)
      expect(r.findings).toEqual([])
    }))

  it.effect(
    `CI batch: ${CI_SEEDS} seeds with every fault, ${CI_SEEDS} without, odd seeds through the consumer; no violation`,
    () =>
      Effect.gen(function*() {
        const unexpected: Array<string> = []
        for (const faults of [Simulator.faults, []]) {
          const s = yield* Simulator.runBatch({
            seed: 1000,
            runs: CI_SEEDS,
            faults,
            driver: "mixed",
            onRun: (run) =>
              Effect.sync(() => {
                for (const f of run.findings) {
                  unexpected.push(
                    `seed ${run.seed} (${Simulator.replayCommand(run.seed, faults, run.driver)}): ${f.text}`
                  )
                }
              })
          })
          expect(s.runs).toBe(CI_SEEDS)
          expect(s.consumerRuns).toBe(CI_SEEDS / 2)
          expect(s.connected).toBeGreaterThan(CI_SEEDS / 2)
          expect(s.events).toBeGreaterThan(CI_SEEDS * 50)
          expect(s.received + s.writes).toBeGreaterThan(CI_SEEDS)
          const lines = Report.summary(s, { seed: 1000, faults, elapsedMs: 1000 })
          expect(lines.at(-1)).toContain(s.hash)
        }
        expect(unexpected).toEqual([])
      }),
    120_000
  )
})
