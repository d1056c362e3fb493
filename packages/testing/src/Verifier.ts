/**
 * The invariant verifier: checks an event log against the asynchronous contract and the lifetime rules of
 * SPEC.md §1.2, §7, §8 and §14.1–14.2, online (event by event, so the first violation is known when it happens)
 * and at the end of the log (completions that never came). Each check has a stable name, the R-numbers it
 * enforces and a category: `provider` (the provider broke its contract) or `consumer` (the code driving the
 * provider did, R31).
 *
 * Edges between antecedents and successors are learned from the log itself: parent → child from creates, CQ/SRQ →
 * QP from the create arguments, MR → MW from a successful `NdkBind` (until `NdkInvalidate` of the MW), QP →
 * connector and shared endpoint → connector from a successful connect/accept, listener → connector from a connect
 * event.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Event from "./Event.js"
import type { Log } from "./EventLog.js"
import { EventLog } from "./EventLog.js"
import * as internal from "./internal/verifier.js"

/**
 * The stable names of the checks.
 *
 * @since 0.1.0
 * @category models
 */
export type CheckName = internal.CheckName

/**
 * One check: name, R-numbers, category and what it checks.
 *
 * @since 0.1.0
 * @category models
 */
export type Check = internal.Check

/**
 * An object named by a violation.
 *
 * @since 0.1.0
 * @category models
 */
export type ObjectRef = internal.ObjectRef

/**
 * A broken rule: the check, its R-numbers and category, a message, the objects involved and the shortest event
 * excerpt that shows it (only the few events involved, in log order).
 *
 * @since 0.1.0
 * @category models
 */
export type Violation = internal.Violation

/**
 * An online verifier: `feed` each event as it is recorded (returns what that event broke), `finish` once at the
 * end (adds the end-of-log checks; returns every violation).
 *
 * @since 0.1.0
 * @category models
 */
export type Verifier = internal.Verifier

/**
 * Every check the verifier runs.
 *
 * @since 0.1.0
 * @category checks
 */
export const checks: ReadonlyArray<Check> = internal.checks

/**
 * A fresh verifier. `onViolation` is called synchronously the moment a violation is found.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: { readonly onViolation?: (violation: Violation) => void }) => Verifier = internal.make

/**
 * A verifier fed by a log: the events already recorded at once, every later one as it is recorded.
 *
 * @since 0.1.0
 * @category constructors
 */
export const attach = (
  log: Log,
  options?: { readonly onViolation?: (violation: Violation) => void }
): Verifier & { readonly detach: () => void } => {
  const verifier = internal.make(options)
  for (const event of log.events) verifier.feed(event)
  const detach = log.subscribe((event) => {
    verifier.feed(event)
  })
  return { ...verifier, detach }
}

/**
 * Checks a complete log: every online check, then the end-of-log checks.
 *
 * @since 0.1.0
 * @category checking
 */
export const verify = (events: Iterable<Event.Event>): ReadonlyArray<Violation> => {
  const verifier = internal.make()
  for (const event of events) verifier.feed(event)
  return verifier.finish()
}

/**
 * A violation as readable text: check, rules, category, message, then the excerpt one event per line.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (violation: Violation): string =>
  [
    `${violation.check} (${violation.rules.join(", ")}, ${violation.category}): ${violation.message}`,
    ...violation.excerpt.map((e) => `  ${Event.format(e)}`)
  ].join("\n")

/**
 * The log broke at least one rule.
 *
 * @since 0.1.0
 * @category errors
 */
export class VerificationError extends Data.TaggedError("VerificationError")<{
  readonly violations: ReadonlyArray<Violation>
}> {
  override get message(): string {
    return this.violations.map(format).join("\n")
  }
}

/**
 * Verifies a complete log; fails with every violation found.
 *
 * @since 0.1.0
 * @category checking
 */
export const check = (events: Iterable<Event.Event>): Effect.Effect<void, VerificationError> =>
  Effect.suspend(() => {
    const violations = verify(events)
    return violations.length === 0 ? Effect.void : Effect.fail(new VerificationError({ violations }))
  })

/**
 * How many violations each check found (every check present, 0 when clean), in the order of {@link checks}.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summarize = (violations: ReadonlyArray<Violation>): ReadonlyArray<readonly [Check, number]> => {
  const counts = new Map<CheckName, number>()
  for (const v of violations) counts.set(v.check, (counts.get(v.check) ?? 0) + 1)
  return checks.map((c) => [c, counts.get(c.name) ?? 0] as const)
}

/**
 * The online verifier of the current run, fed by its `EventLog`.
 *
 * @since 0.1.0
 * @category tags
 */
export class Online extends Context.Tag("@effect-ndk/testing/Verifier/Online")<Online, Verifier>() {}

/**
 * Attaches an online verifier to the `EventLog` for the lifetime of the layer (detached when its scope closes).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerOnline: Layer.Layer<Online, never, EventLog> = Layer.scoped(
  Online,
  Effect.gen(function*() {
    const log = yield* EventLog
    return yield* Effect.acquireRelease(
      Effect.sync(() => attach(log)),
      (verifier) => Effect.sync(verifier.detach)
    )
  })
)
