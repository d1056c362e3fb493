/**
 * The main job (`npm start`). Until the consumer layer exists it prints the NDKPI vocabulary.
 */
import { NtStatus } from "@effect-ndk/ndkpi"
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"

const program = Effect.gen(function*() {
  yield* Console.log("effect-ndk — NDKPI vocabulary")
  for (const [name, value] of Object.entries(NtStatus.NtStatus)) {
    yield* Console.log(`  0x${value.toString(16).toUpperCase().padStart(8, "0")}  ${name}`)
  }
})

NodeRuntime.runMain(program)
