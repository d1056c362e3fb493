/**
 * The main job (`npm start`): the demo of `Demo.ts`, options through @effect/cli (`npm start -- --help`).
 * `--describe` prints the NDKPI vocabulary's self-description instead. Exits 0 on success, non-zero with a clear
 * message when an invariant is violated.
 */
import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import * as Demo from "./Demo.js"
import { describeVocabulary } from "./Description.js"

const hosts = Options.integer("hosts").pipe(
  Options.withDefault(Demo.defaults.hosts),
  Options.withDescription("simulated hosts on the fabric (≥ 2)")
)
const qps = Options.integer("qps").pipe(
  Options.withDefault(Demo.defaults.qps),
  Options.withDescription("connected QPs per neighbour pair")
)
const duration = Options.integer("duration").pipe(
  Options.withDefault(Demo.defaults.durationMs),
  Options.withDescription("traffic time, virtual milliseconds")
)
const size = Options.integer("size").pipe(
  Options.withDefault(Demo.defaults.size),
  Options.withDescription("message size in bytes (2..4096)")
)
const loss = Options.float("loss").pipe(
  Options.withDefault(Demo.defaults.loss),
  Options.withDescription("packet loss probability on the fabric")
)
const seed = Options.integer("seed").pipe(
  Options.withDefault(Demo.defaults.seed),
  Options.withDescription("seed of the fabric's randomness")
)
const describe = Options.boolean("describe").pipe(
  Options.withDescription("print the NDKPI vocabulary's self-description instead")
)

const progress = (line: string) => Effect.sync(() => void process.stdout.write(`\r${line.padEnd(78)}`))

const command = Command.make("effect-ndk-demo", { hosts, qps, duration, size, loss, seed, describe }, (o) =>
  o.describe
    ? Effect.forEach(describeVocabulary(), (l) => Console.log(l), { discard: true })
    : Effect.gen(function*() {
      if (o.hosts < 2) return yield* Effect.fail(new Demo.InvariantViolated("--hosts must be at least 2"))
      const lines = yield* Demo.demo(
        {
          hosts: o.hosts,
          qps: Math.max(1, o.qps),
          durationMs: Math.max(1, o.duration),
          size: o.size,
          loss: o.loss,
          seed: o.seed
        },
        progress
      ).pipe(Effect.tapError((e) => Console.error(`\n${e.message}`)))
      yield* Console.log("")
      yield* Effect.forEach(lines, (l) => Console.log(l), { discard: true })
    }))

const cli = Command.run(command, { name: "effect-ndk demo", version: "0.1.0" })

cli(process.argv).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: true }))
