/**
 * `NDK_SGE` (SPEC.md §4.4): one scatter/gather entry of a work request.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Scalar from "./Scalar.js"

/**
 * `NDK_SGE` (size 16). Field names follow the C struct. `VirtualAddress` is the C union
 * `{ PVOID VirtualAddress; NDK_LOGICAL_ADDRESS LogicalAddress; }`: a virtual address inside a registered MR, or
 * an adapter logical address when `MemoryRegionToken` is the PD's privileged token; ignored for inline data.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkSge {
  readonly VirtualAddress: bigint
  readonly Length: number
  readonly MemoryRegionToken: number
}

/**
 * Byte size of `NDK_SGE`.
 *
 * @since 0.1.0
 * @category constants
 */
export const SIZE = 16

/**
 * An SGE.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (VirtualAddress: bigint, Length: number, MemoryRegionToken: number): NdkSge => ({
  VirtualAddress,
  Length,
  MemoryRegionToken
})

/**
 * Sum of the lengths of the first `nSge` entries.
 *
 * @since 0.1.0
 * @category getters
 */
export const totalLength = (sgl: ReadonlyArray<NdkSge>, nSge: number = sgl.length): number => {
  let n = 0
  for (let i = 0; i < nSge && i < sgl.length; i++) n += sgl[i].Length
  return n
}

/**
 * Schema of an SGE: 64-bit address, `ULONG` length, `UINT32` token.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkSge: Schema.Schema<NdkSge> = Schema.Struct({
  VirtualAddress: Scalar.Uint64,
  Length: Scalar.Ulong,
  MemoryRegionToken: Scalar.Ulong
}).annotations({ identifier: "NDK_SGE" })
