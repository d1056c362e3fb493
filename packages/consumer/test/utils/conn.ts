/**
 * The connection tests' common preamble: one side of a connection on a simulated host (adapter, PD, CQ, a 64 KiB
 * buffer registered with every right, a QP on that CQ).
 */
import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import * as Effect from "effect/Effect"
import type { TestHost } from "./hosts.js"

/** Local write, remote read and write, RDMA read sink. */
export const ALL = NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE | NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_READ |
  NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_WRITE | NdkMrFlag.NDK_MR_FLAG_RDMA_READ_SINK

/** One side: adapter, PD, CQ, 64 KiB registered buffer, QP. */
export const side = (h: TestHost) =>
  Effect.gen(function*() {
    const adapter = yield* h.ndk.openAdapter()
    const pd = yield* adapter.createPd
    const cq = yield* adapter.createCq(256)
    const mr = yield* pd.registerMemory(65536, ALL)
    const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq, receiveQueueDepth: 64, initiatorQueueDepth: 64 })
    return { h, adapter, pd, cq, mr, qp }
  })

/** What `side` gives. */
export type Side = Effect.Effect.Success<ReturnType<typeof side>>
