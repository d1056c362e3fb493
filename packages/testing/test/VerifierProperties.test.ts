import { Catalog } from "@effect-ndk/ndkpi"
import { assert, describe, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { specOf } from "../src/internal/argSpec.js"
import * as Verifier from "../src/Verifier.js"
import type { Obj } from "./utils/LogBuilder.js"
import { LogBuilder, S } from "./utils/LogBuilder.js"

/**
 * A random object graph (adapter, CQs, PD, QPs on random CQs, MRs, MWs bound to random MRs, a connector bound to a
 * QP) closed in a random order, each close either inline (STATUS_SUCCESS) or pending + close completion. The
 * oracle is computed independently of the verifier: the order breaks R22–R27 iff some antecedent closes before
 * one of its successors.
 */
const graph = FastCheck.record({
  cqs: FastCheck.integer({ min: 1, max: 3 }),
  qps: FastCheck.array(FastCheck.tuple(FastCheck.nat(), FastCheck.nat()), { minLength: 0, maxLength: 3 }),
  mrs: FastCheck.integer({ min: 0, max: 2 }),
  mws: FastCheck.array(FastCheck.nat(), { maxLength: 2 }),
  connected: FastCheck.boolean(),
  /** close in a random order that respects every edge (else: any random order) */
  respect: FastCheck.boolean(),
  order: FastCheck.array(FastCheck.double({ min: 0, max: 1, noNaN: true }), { minLength: 16, maxLength: 16 }),
  inline: FastCheck.array(FastCheck.boolean(), { minLength: 16, maxLength: 16 })
})

type Graph = typeof graph extends FastCheck.Arbitrary<infer G> ? G : never

const build = (g: Graph) => {
  const b = new LogBuilder()
  const a = b.openAdapter()
  const edges: Array<readonly [Obj, Obj]> = []
  const cqs = Array.from({ length: g.cqs }, () => b.create(a, "Cq", { eventCtx: b.context() }))
  const pd = b.create(a, "Pd")
  for (const cq of cqs) edges.push([a, cq])
  edges.push([a, pd])
  const qps = g.qps.map(([r, i]) => {
    const rcq = cqs[r % cqs.length]
    const icq = cqs[i % cqs.length]
    const qp = b.create(pd, "Qp", { refs: { ReceiveCq: rcq.id, InitiatorCq: icq.id } })
    edges.push([pd, qp], [rcq, qp], [icq, qp])
    return qp
  })
  const mrs = Array.from({ length: g.mrs }, () => b.create(pd, "Mr"))
  for (const mr of mrs) edges.push([pd, mr])
  const mws = g.mws.map((m) => {
    const mw = b.create(pd, "Mw")
    edges.push([pd, mw])
    if (mrs.length > 0 && qps.length > 0) {
      const mr = mrs[m % mrs.length]
      b.ret(b.call("NdkBind", qps[0], { ctx: b.context(), refs: { Mr: mr.id, Mw: mw.id } }), S.STATUS_SUCCESS)
      edges.push([mr, mw])
    }
    return mw
  })
  const conn = b.create(a, "Connector")
  edges.push([a, conn])
  if (g.connected && qps.length > 0) {
    b.complete(b.pendingRequest("NdkConnect", conn, { Qp: qps[0].id }))
    edges.push([qps[0], conn])
  }
  const closable: Array<Obj> = [...cqs, pd, ...qps, ...mrs, ...mws, conn]
  // ranks of a valid order: connector, then MWs, then MRs and QPs, then PD and CQs
  const rank: Record<string, number> = { Connector: 0, Mw: 1, Mr: 2, Qp: 2, Pd: 3, Cq: 3 }
  const order = closable
    .map((o, i) => ({ o, key: (g.respect ? rank[o.type] : 0) + (g.order[i] ?? 0), inline: g.inline[i] ?? false }))
    .sort((x, y) => x.key - y.key)
  for (const { inline, o } of order) {
    if (inline) b.close(o, "success")
    else b.closeFully(o)
  }
  b.ret(b.call("CloseNdkAdapter", a), undefined)
  // oracle: the first object (in close order) that closes while one of its successors is still open
  const position = new Map(order.map(({ o }, i) => [o.id, i]))
  let first: number | undefined
  for (const { o } of order) {
    const early = edges.some(([x, y]) => x.id === o.id && position.get(y.id)! > position.get(o.id)!)
    if (early) {
      first = o.id
      break
    }
  }
  return { events: b.events, first }
}

/** the property, which is also used to check that the generator reaches both outcomes */
const holds = (g: Graph): "clean" | "flagged" => {
  const { events, first } = build(g)
  const violations = Verifier.verify(events)
  const others = violations.filter((v) => v.check !== "ANTECEDENT_CLOSES_LAST")
  assert.deepStrictEqual(others.map(Verifier.format), [])
  if (first === undefined) {
    assert.strictEqual(violations.length, 0)
    return "clean"
  }
  assert.isAbove(violations.length, 0)
  assert.strictEqual(violations[0].objects[0].id, first)
  return "flagged"
}

describe("Verifier properties", () => {
  it.prop(
    "R22–R27: a random close order is flagged exactly when an antecedent closes before a successor, at the first one",
    [graph],
    ([g]) => {
      holds(g)
    },
    { fastCheck: { numRuns: 300, seed: 8 } }
  )

  it("the generator reaches both outcomes (clean and flagged)", () => {
    const outcomes = FastCheck.sample(graph, { numRuns: 200, seed: 8 }).map(holds)
    assert.isAbove(outcomes.filter((o) => o === "clean").length, 20)
    assert.isAbove(outcomes.filter((o) => o === "flagged").length, 20)
  })

  it("every function that takes a completion callback has its completion position in the wrapper's table", () => {
    for (const f of Catalog.functionTypes) {
      for (const { member, table } of f.members) {
        const spec = specOf(table, member)
        const hasCompletion = spec.some((a) => a.role === "completion")
        assert.strictEqual(hasCompletion, f.completion !== null, `${table}.${member}`)
        const isWr = spec.some((a) => a.role === "wrContext")
        assert.strictEqual(isWr, f.kind === "WR", `${table}.${member}`)
      }
    }
  })
})
