/**
 * One command per example: `npm run example -- <ping-pong|bulk|credits|kv|shutdown>`.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import * as Bulk from "./Bulk.js"
import * as Credits from "./Credits.js"
import * as KeyValue from "./KeyValue.js"
import * as PingPong from "./PingPong.js"
import * as Shutdown from "./Shutdown.js"
import { runVirtual } from "./World.js"

const which = process.argv[2] ?? "ping-pong"
const print = (lines: ReadonlyArray<string>) => Effect.forEach(lines, (l) => Console.log(l), { discard: true })

const programs: Record<string, Effect.Effect<void, unknown>> = {
  "ping-pong": Effect.flatMap(runVirtual(PingPong.pingPong({ rounds: 1000 })), (r) => print(PingPong.format(r))),
  bulk: Effect.flatMap(runVirtual(Bulk.bulk({ bytes: 1 << 20 })), (r) => print(Bulk.format(r))),
  credits: Effect.flatMap(runVirtual(Credits.credits({ messages: 1000 })), (r) => print(Credits.format(r))),
  kv: Effect.flatMap(runVirtual(KeyValue.keyValue({ clients: 4 })), (r) => print(KeyValue.format(r))),
  shutdown: Effect.flatMap(
    runVirtual(Shutdown.load({ hosts: 3, qps: 4, durationMs: 2, size: 64, seed: 1, loss: 0 })),
    (r) =>
      Effect.zipRight(
        print(Shutdown.format(r)),
        r.violations.length === 0 ? Effect.void : Effect.fail("invariant violated")
      )
  )
}

const program = programs[which] ??
  Effect.fail(`unknown example "${which}"; one of: ${Object.keys(programs).join(", ")}`)
NodeRuntime.runMain(program)
