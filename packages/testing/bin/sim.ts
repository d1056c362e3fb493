/**
 * `pnpm sim --seed S --runs N --faults loss,reset,…`: runs seeds S .. S+N-1 of the simulator, prints a progress
 * line, the findings of every failing seed with the command that replays it, a summary table and the hash of
 * the whole batch. Exits non-zero on any violation.
 */
import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Data, Effect, Either } from "effect"
import * as Report from "../src/Report.js"
import * as Simulator from "../src/Simulator.js"

class Violations extends Data.TaggedError("Violations")<{ readonly message: string }> {}

const seed = Options.integer("seed").pipe(Options.withDefault(1), Options.withDescription("first seed"))
const runs = Options.integer("runs").pipe(Options.withDefault(100), Options.withDescription("number of seeds"))
const faults = Options.text("faults").pipe(
  Options.withDefault("all"),
  Options.withDescription(`comma-separated faults: ${Simulator.faults.join(", ")}; "all" or "none"`)
)
const steps = Options.integer("steps").pipe(Options.withDefault(40), Options.withDescription("workload steps per run"))
const driver = Options.choice("driver", ["raw", "consumer", "mixed"]).pipe(
  Options.withDefault("raw" as const),
  Options.withDescription(
    "who makes the raw calls: raw (the simulator's miniature consumer), consumer (@effect-ndk/consumer's Ndk " +
      "service; also checks its accounting and waiting fibers), mixed (odd seeds consumer, even seeds raw)"
  )
)
const verbose = Options.boolean("verbose").pipe(Options.withDescription("print the whole event log of failing runs"))

const command = Command.make("sim", { seed, runs, faults, steps, driver, verbose }, (o) =>
  Effect.gen(function*() {
    const parsed = o.faults === "none" ? Either.right([]) : Simulator.parseFaults(o.faults)
    if (Either.isLeft(parsed)) return yield* Effect.fail(new Violations({ message: parsed.left }))
    const fs = parsed.right
    const start = performance.now()
    let events = 0
    let violations = 0
    const every = Math.max(1, Math.floor(o.runs / 100))
    const summary = yield* Simulator.runBatch({
      seed: o.seed,
      runs: o.runs,
      faults: fs,
      steps: o.steps,
      driver: o.driver,
      onRun: (run, i) =>
        Effect.gen(function*() {
          events += run.events
          violations += run.findings.length
          if (run.findings.length > 0) {
            yield* Console.log(`\nseed ${run.seed}: ${run.findings.length} violation(s)`)
            for (const f of run.findings) yield* Console.log(f.text)
            if (o.verbose) {
              const again = yield* Simulator.runOne(run.seed, fs, { steps: o.steps, log: true, driver: run.driver })
                .pipe(
                  Effect.option
                )
              if (again._tag === "Some" && again.value.log !== undefined) yield* Console.log(again.value.log)
            }
            yield* Console.log(
              `replay: ${Simulator.replayCommand(run.seed, fs, run.driver)}${
                o.steps === 40 ? "" : ` --steps ${o.steps}`
              }`
            )
          }
          if ((i + 1) % every === 0 || i + 1 === o.runs) {
            const line = Report.progress(i + 1, o.runs, events, violations, performance.now() - start)
            yield* Effect.sync(() => void process.stdout.write(`\r${line}`))
          }
        })
    })
    yield* Console.log("\n")
    for (const line of Report.summary(summary, { seed: o.seed, faults: fs, elapsedMs: performance.now() - start })) {
      yield* Console.log(line)
    }
    if (summary.failing.length > 0) {
      return yield* Effect.fail(
        new Violations({
          message: `${summary.failing.length} failing seed(s): ${summary.failing.slice(0, 20).join(" ")}`
        })
      )
    }
  }).pipe(Effect.tapError((e) => Console.error(e.message))))

const cli = Command.run(command, { name: "effect-ndk simulator", version: "0.1.0" })

cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true }))
