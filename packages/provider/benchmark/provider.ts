/**
 * Hot-path cost of the provider layer against the raw NIC verbs it drives, same run, same objects.
 *
 *   P1  receive post + poll of its (flushed) completion, 64 per batch, through the `unsafe` twins
 *       vs `Nic.postReceive` + `Nic.pollCq` on an identical QP/CQ
 *   P2  the same through the Effect dispatch functions (one Effect run per batch)
 *
 * The QPs are in the error state, so every post completes at once (STATUS_CANCELLED) with no engine pass:
 * what is measured is the provider's own validation, SGE conversion, status mapping and result building.
 *
 * Usage: npm run bench:provider [-- --json] [-- --quick]
 */
import * as Nic from "@effect-ndk/hardware/Nic"
import type { NdkResult } from "@effect-ndk/ndkpi/NdkResult"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkAdapter, NdkCq, NdkMr, NdkPd, NdkQp } from "@effect-ndk/ndkpi/RawInterface"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { compare, report } from "../../../scripts/bench.js"
import * as SimulatedHosts from "../src/SimulatedHosts.js"

const quick = process.argv.includes("--quick")
const warmupMs = quick ? 300 : 1500
const rounds = quick ? 3 : 5
const BATCH = 64

const scope = Effect.runSync(Scope.make())

const setup = Effect.gen(function*() {
  const { hosts } = yield* SimulatedHosts.make({ count: 1, nic: { hostMemoryBytes: 1 << 20 } })
  const h = hosts[0]!
  const none = () => Effect.void
  const adapterOut = OutParam.out<NdkAdapter>()
  yield* h.provider.OpenNdkAdapter(null, { Version: { Major: 2, Minor: 1 }, SwitchId: 0, VPortId: 0 }, adapterOut)
  const adapter = adapterOut.value!
  const pdOut = OutParam.out<NdkPd>()
  yield* adapter.Dispatch.NdkCreatePd(adapter, none, null, pdOut)
  const pd = pdOut.value!
  const cqOut = OutParam.out<NdkCq>()
  yield* adapter.Dispatch.NdkCreateCq(adapter, 4096, none, null, null, none, null, cqOut)
  const cq = cqOut.value!
  const qpOut = OutParam.out<NdkQp>()
  yield* pd.Dispatch.NdkCreateQp(pd, cq, cq, "qp", 1024, 16, 1, 1, 0, none, null, qpOut)
  const qp = qpOut.value!
  const mrOut = OutParam.out<NdkMr>()
  yield* pd.Dispatch.NdkCreateMr(pd, false, none, null, mrOut)
  const mr = mrOut.value!
  const va = h.nic.memory.alloc(4096, 4096)
  yield* mr.Dispatch.NdkRegisterMr(mr, { virtualAddress: BigInt(va), byteCount: 4096 }, 4096n, 1, none, null)
  const token = yield* mr.Dispatch.NdkGetLocalTokenFromMr(mr)
  yield* qp.Dispatch.NdkFlush(qp)
  // the raw twin: NIC objects with the same shape
  const nic = h.nic
  const rawPd = yield* nic.allocPd
  const rawCq = yield* nic.createCq(4096)
  const rawQp = yield* nic.createQp({
    pd: rawPd,
    sendCq: rawCq,
    recvCq: rawCq,
    sqDepth: 16,
    rqDepth: 1024,
    maxSendSge: 1,
    maxRecvSge: 1,
    maxInline: 0
  })
  const rawMr = yield* nic.createMr(rawPd)
  yield* nic.registerMr(rawMr, va, 4096, 1)
  nic.qpToError(rawQp)
  return {
    nic,
    cq,
    qp,
    sgl: [Sge.make(BigInt(va), 64, token)],
    rawCq,
    rawQp,
    rawSgl: new Nic.Sgl(1).one(va, 64, nic.mrKey(rawMr))
  }
})

const main = async () => {
  const s = await Effect.runPromise(Scope.extend(setup, scope))
  const results: Array<NdkResult> = []
  const rawOut = new Nic.CqResults(BATCH)
  const unsafeQp = s.qp.unsafe!
  const unsafeCq = s.cq.unsafe!
  const provider = (ops: number) => {
    for (let done = 0; done < ops; done += BATCH) {
      for (let i = 0; i < BATCH; i++) unsafeQp.NdkReceive(s.qp, i, s.sgl, 1)
      if (unsafeCq.NdkGetCqResults(s.cq, results, BATCH) !== BATCH) throw new Error("lost completions")
    }
  }
  const raw = (ops: number) => {
    for (let done = 0; done < ops; done += BATCH) {
      for (let i = 0; i < BATCH; i++) s.nic.postReceive(s.rawQp, i, s.rawSgl)
      if (s.nic.pollCq(s.rawCq, rawOut, BATCH) !== BATCH) throw new Error("lost completions")
    }
  }
  const batchEffect = Effect.gen(function*() {
    for (let i = 0; i < BATCH; i++) yield* s.qp.Dispatch.NdkReceive(s.qp, i, s.sgl, 1)
    return yield* s.cq.Dispatch.NdkGetCqResults(s.cq, results, BATCH)
  })
  const viaEffect = (ops: number) => {
    for (let done = 0; done < ops; done += BATCH) {
      if (Effect.runSync(batchEffect) !== BATCH) throw new Error("lost completions")
    }
  }
  const ops = quick ? 64 * 200 : 64 * 1000
  const out = [
    await compare({
      bench: "P1",
      metric: "ns/WR unsafe post+poll vs raw NIC",
      value: provider,
      baseline: raw,
      ops,
      kind: "time",
      target: "<= 4",
      warmupMs,
      rounds
    }),
    await compare({
      bench: "P2",
      metric: "ns/WR Effect post+poll vs unsafe",
      value: viaEffect,
      baseline: provider,
      ops,
      kind: "time",
      target: "(info)",
      warmupMs,
      rounds
    })
  ]
  report("provider hot path (same-run ratios)", out)
  await Effect.runPromise(Scope.close(scope, Exit.void))
}

void main()
