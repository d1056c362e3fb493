/**
 * Memory descriptor lists (SPEC.md §0: `Mdl`): the pinned memory handed to `NdkRegisterMr` and `NdkBuildLAM`.
 * The provider treats the virtual address as an index and never dereferences it.
 *
 * Model extension: an MDL over memory that is not the host memory the provider's adapter knows (a caller's own
 * buffer) carries the locked bytes it describes in `bytes` — what a real MDL's page-frame array is to the
 * adapter. Without `bytes`, the range names host memory by its virtual address.
 *
 * @since 0.1.0
 */

/**
 * One MDL of a chain: a virtually contiguous range.
 *
 * @since 0.1.0
 * @category models
 */
export interface Mdl {
  readonly virtualAddress: bigint
  readonly byteCount: number
  readonly next?: Mdl
  /** the described bytes when they lie outside host memory (a caller's buffer); `byteCount` bytes long */
  readonly bytes?: Uint8Array
}

/**
 * The MDLs of a chain, first to last.
 *
 * @since 0.1.0
 * @category getters
 */
export const chain = (mdl: Mdl): ReadonlyArray<Mdl> => {
  const out: Array<Mdl> = []
  for (let m: Mdl | undefined = mdl; m !== undefined; m = m.next) out.push(m)
  return out
}

/**
 * Total bytes described by a chain.
 *
 * @since 0.1.0
 * @category getters
 */
export const totalByteCount = (mdl: Mdl): bigint => chain(mdl).reduce((n, m) => n + BigInt(m.byteCount), 0n)

/**
 * True when the first `length` bytes of the chain, from its first virtual address, are virtually contiguous
 * (each MDL starts where the previous one ended) and the chain describes at least `length` bytes — the
 * precondition of `NdkRegisterMr` and `NdkBuildLAM` (else `STATUS_INVALID_PARAMETER`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isContiguousFor = (mdl: Mdl, length: bigint): boolean => {
  let covered = 0n
  let expected = mdl.virtualAddress
  for (let m: Mdl | undefined = mdl; m !== undefined && covered < length; m = m.next) {
    if (m.virtualAddress !== expected) return false
    covered += BigInt(m.byteCount)
    expected = m.virtualAddress + BigInt(m.byteCount)
  }
  return covered >= length
}
