import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { qpSeam } from "../src/internal/qp.js"
import { collect, createQp, pair, registered, S, sge } from "./utils/setup.js"

describe("read limits enforced by the responder", () => {
  it.scoped("R102: reads within the effective limits succeed; a peer that exceeds this QP's inbound read limit gets STATUS_REMOTE_RESOURCES and both QPs end", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const src = yield* registered(b.host.nic, b.pd, 65536 * 4)
      const sink = yield* registered(a.host.nic, a.pd, 65536 * 4)
      // within the limits (the pair is connected with IRD = ORD = 8): four 64 KiB reads at once
      for (let k = 0; k < 4; k++) {
        yield* a.qp.Dispatch.NdkRead(
          a.qp,
          k,
          [sge(sink, k * 65536, 65536)],
          1,
          BigInt(src.va + k * 65536),
          src.remote,
          0
        )
      }
      expect((yield* collect(a.cq, 4)).map((r) => r.Status)).toEqual([0, 0, 0, 0])
      // a misbehaving pair (what negotiation prevents): the requester may issue 4 reads, the responder serves 1
      const qa = yield* createQp(a.pd, a.cq, a.cq, { context: "qa2" })
      const qb = yield* createQp(b.pd, b.cq, b.cq, { context: "qb2" })
      const sa = qpSeam(qa)!
      const sb = qpSeam(qb)!
      sa.beginConnect()
      sb.beginConnect()
      yield* sa.connectToRemote({ remoteAddress: b.host.address, remoteQpn: sb.qpn, ird: 1, ord: 4 })
      yield* sb.connectToRemote({ remoteAddress: a.host.address, remoteQpn: sa.qpn, ird: 1, ord: 1 })
      for (let k = 0; k < 2; k++) {
        yield* qa.Dispatch.NdkRead(qa, `r${k}`, [sge(sink, k * 65536, 65536)], 1, BigInt(src.va), src.remote, 0)
      }
      const got = yield* collect(a.cq, 2)
      expect(got.map((r) => [r.RequestContext, r.Status])).toEqual([
        ["r0", S.STATUS_REMOTE_RESOURCES],
        ["r1", S.STATUS_CANCELLED]
      ])
      // the responder's QP went to error: a receive posted there completes CANCELLED at once
      yield* qb.Dispatch.NdkReceive(qb, "late", [sge(src, 0, 64)], 1)
      expect((yield* collect(b.cq, 1)).map((r) => [r.RequestContext, r.Status])).toEqual([["late", S.STATUS_CANCELLED]])
    }))
})
