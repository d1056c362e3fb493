import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { collect, pair, S, sge } from "./utils/setup.js"

describe("smoke", () => {
  it.scoped("send/receive between two hosts", () =>
    Effect.gen(function*() {
      const { a, b } = yield* pair()
      const mb = b.host.nic.memory
      const ma = a.host.nic.memory
      ma.write(a.buf.va, new Uint8Array([1, 2, 3, 4]))
      expect(yield* b.qp.Dispatch.NdkReceive(b.qp, "r1", [sge(b.buf, 0, 100)], 1)).toBe(S.STATUS_SUCCESS)
      expect(yield* a.qp.Dispatch.NdkSend(a.qp, "s1", [sge(a.buf, 0, 4)], 1, 0)).toBe(S.STATUS_SUCCESS)
      const ra = yield* collect(a.cq, 1)
      const rb = yield* collect(b.cq, 1)
      expect(ra).toEqual([{ Status: 0, BytesTransferred: expect.any(Number), QPContext: "qp0", RequestContext: "s1" }])
      expect(rb).toEqual([{ Status: 0, BytesTransferred: 4, QPContext: "qp1", RequestContext: "r1" }])
      expect(Array.from(mb.read(b.buf.va, 4))).toEqual([1, 2, 3, 4])
    }))
})
