/** Plain records for tests that drive the synchronous NIC core directly (no Effect driver). */
import { FabricCore } from "../src/internal/fabric.js"
import type { ResultsLike, SglLike } from "../src/internal/nic.js"

/** A fault-free, zero-latency fabric core of `memoryBytes`, its time read from `now`. */
export const quietFabric = (
  o: {
    readonly seed: number
    readonly memoryBytes: number
    readonly now: () => number
    readonly trace: boolean
    readonly wasm: boolean
  }
): FabricCore =>
  new FabricCore({
    ...o,
    link: { latencyUs: 0, bandwidthGbps: 0, mtu: 4096 },
    faults: { loss: 0, duplicate: 0, reorder: 0, reorderMaxUs: 10, corrupt: 0 }
  })

/** A one-entry scatter/gather list. */
export const sgl = (addr: number, len: number, key: number): SglLike => ({
  count: 1,
  addr: Float64Array.of(addr),
  len: Float64Array.of(len),
  key: Uint32Array.of(key)
})

/** A results block for `pollCq` of `n` entries. */
export const results = (n: number): ResultsLike => ({
  status: new Uint8Array(n),
  opcode: new Uint8Array(n),
  qpn: new Uint32Array(n),
  bytes: new Float64Array(n),
  key: new Uint32Array(n),
  context: new Array(n)
})
