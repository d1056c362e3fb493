/**
 * The main job (`npm start`). Until the consumer layer exists it prints the NDKPI vocabulary's self-description.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { describeVocabulary } from "./Description.js"

const program = Effect.forEach(describeVocabulary(), (line) => Console.log(line), { discard: true })

NodeRuntime.runMain(program)
