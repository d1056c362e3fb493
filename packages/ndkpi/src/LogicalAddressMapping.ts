/**
 * `NDK_LOGICAL_ADDRESS_MAPPING` (LAM, SPEC.md §4.5): adapter logical pages built by `NdkBuildLAM`. A LAM is not an
 * NDK object.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { PAGE_SIZE } from "./Constants.js"
import type { LogicalAddress } from "./Scalar.js"
import * as Scalar from "./Scalar.js"

/**
 * A LAM: one page-aligned logical address per `PAGE_SIZE` page; consecutive entries need not be logically
 * contiguous. `AdapterContext` is provider-private; the consumer must not modify it.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkLogicalAddressMapping {
  readonly AdapterContext: unknown
  readonly AdapterPageCount: number
  readonly AdapterPageArray: ReadonlyArray<LogicalAddress>
}

/**
 * Byte size of a LAM with `pageCount` pages on x64: `offsetof(AdapterPageArray) + 8·n` = 16 + 8·n.
 *
 * @since 0.1.0
 * @category getters
 */
export const byteSize = (pageCount: number): number => 16 + 8 * pageCount

/**
 * Schema of a LAM: `AdapterPageCount` equals the array length and every page address is a 64-bit value aligned to
 * `PAGE_SIZE`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkLogicalAddressMapping: Schema.Schema<NdkLogicalAddressMapping> = Schema.Struct({
  AdapterContext: Schema.Unknown,
  AdapterPageCount: Scalar.Ulong,
  AdapterPageArray: Schema.Array(
    Scalar.Uint64.pipe(
      Schema.filter((a) =>
        a % BigInt(PAGE_SIZE) === 0n || `expected a PAGE_SIZE-aligned logical address, got 0x${a.toString(16)}`
      )
    )
  )
}).pipe(
  Schema.filter((lam) =>
    lam.AdapterPageCount === lam.AdapterPageArray.length ||
    `AdapterPageCount (${lam.AdapterPageCount}) must equal the number of pages (${lam.AdapterPageArray.length})`
  ),
  Schema.annotations({ identifier: "NDK_LOGICAL_ADDRESS_MAPPING" })
)
