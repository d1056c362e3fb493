/**
 * One side of a two-host test: adapter, PD, CQ, a registered host-memory buffer and a QP on that CQ.
 */
import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import * as Effect from "effect/Effect"
import type { TestHost } from "./hosts.js"

/** Local write, remote read and write, read sink. */
export const ALL = NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE | NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_READ |
  NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_WRITE | NdkMrFlag.NDK_MR_FLAG_RDMA_READ_SINK

export const side = (h: TestHost, options: { readonly bufBytes?: number; readonly depth?: number } = {}) =>
  Effect.gen(function*() {
    const adapter = yield* h.ndk.openAdapter()
    const pd = yield* adapter.createPd
    const cq = yield* adapter.createCq(256)
    const mr = yield* pd.registerMemory(options.bufBytes ?? 65536, ALL)
    const depth = options.depth ?? 64
    const qp = yield* pd.createQp({
      receiveCq: cq,
      initiatorCq: cq,
      receiveQueueDepth: depth,
      initiatorQueueDepth: depth
    })
    return { h, adapter, pd, cq, mr, qp }
  })

/** What `side` gives. */
export type Side = Effect.Effect.Success<ReturnType<typeof side>>
