/** Plain records for tests that drive the synchronous NIC core directly (no Effect driver). */
import type { ResultsLike, SglLike } from "../src/internal/nic.js"

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
