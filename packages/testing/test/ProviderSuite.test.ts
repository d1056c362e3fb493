import * as NdkProvider from "@effect-ndk/provider/NdkProvider"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Broken from "../src/Broken.js"
import * as ProviderSuite from "../src/ProviderSuite.js"

describe("ProviderSuite: our provider", () => {
  const target = ProviderSuite.simulated()
  for (const c of ProviderSuite.cases) {
    it.effect(c.name, () =>
      Effect.gen(function*() {
        const o = yield* ProviderSuite.runCase(target, c)
        expect(ProviderSuite.format(o)).toBe(`ok   ${c.name}`)
        expect(o.events).toBeGreaterThan(10)
      }))
  }
})

/** each broken provider, the case that must catch it, and the check (verifier check name or "case") */
const broken: ReadonlyArray<readonly [Broken.Kind, string, string]> = [
  ["closeTooEarly", "R16, R21, R168", "CLOSE_AFTER_REQUESTS"],
  ["closeTwice", "R22, R23", "PENDING_COMPLETES_ONCE"],
  ["closeBeforeFlush", "R29", "case"],
  ["callbackAfterClose", "R22, R23", "NOTHING_AFTER_CLOSE"],
  ["antecedentFirst", "R22, R23", "ANTECEDENT_CLOSES_LAST"],
  ["dropFlush", "R29", "case"]
]

describe("ProviderSuite: broken providers are caught", () => {
  for (const [kind, prefix, check] of broken) {
    it.effect(`${kind} is caught by ${check === "case" ? `the case's own check (${prefix})` : check}`, () =>
      Effect.gen(function*() {
        const c = ProviderSuite.cases.find((x) => x.name.startsWith(prefix))!
        const target = ProviderSuite.simulated({ wrap: (h) => Broken.wrapHost(kind, h) })
        const o = yield* ProviderSuite.runCase(target, c)
        expect(ProviderSuite.passed(o)).toBe(false)
        if (check === "case") expect(o.failure).toBeDefined()
        else expect(o.violations.map((v) => v.check)).toContain(check)
      }))
  }
  it.effect("the wrapper is transparent when it breaks nothing else: closeTooEarly passes the cases without connectors", () =>
    Effect.gen(function*() {
      const target = ProviderSuite.simulated({ wrap: (h) => Broken.wrapHost("closeTooEarly", h) })
      const o = yield* ProviderSuite.runCase(target, ProviderSuite.cases.find((x) => x.name.startsWith("R29"))!)
      expect(ProviderSuite.format(o)).toBe(`ok   ${o.name}`)
    }))
})

describe("ProviderSuite: any provider layer over the simulated NIC", () => {
  it.effect("NdkProvider.layer() passes every case (pending completion mode)", () =>
    Effect.gen(function*() {
      const outcomes = yield* ProviderSuite.run(ProviderSuite.fromLayer(NdkProvider.layer({ mode: "pending" })))
      expect(outcomes.map(ProviderSuite.format)).toEqual(ProviderSuite.cases.map((c) => `ok   ${c.name}`))
    }))
})
