/**
 * The C scalar types of NDKPI signatures (SPEC.md §0) as TypeScript types, with schemas that accept exactly
 * their ranges.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * `ULONG`: an unsigned 32-bit integer held in a `number`.
 *
 * @since 0.1.0
 * @category models
 */
export type ULONG = number

/**
 * `USHORT`: an unsigned 16-bit integer held in a `number`.
 *
 * @since 0.1.0
 * @category models
 */
export type USHORT = number

/**
 * `UINT32`: an unsigned 32-bit integer (memory tokens).
 *
 * @since 0.1.0
 * @category models
 */
export type UINT32 = number

/**
 * `UINT64`: an unsigned 64-bit integer (remote addresses).
 *
 * @since 0.1.0
 * @category models
 */
export type UINT64 = bigint

/**
 * `SIZE_T`: a byte count of an MR, a window or a LAM (64-bit on x64).
 *
 * @since 0.1.0
 * @category models
 */
export type SIZE_T = bigint

/**
 * `PVOID` used as an address (SGEs, bind, fast-register).
 *
 * @since 0.1.0
 * @category models
 */
export type VirtualAddress = bigint

/**
 * `NDK_LOGICAL_ADDRESS` (`PHYSICAL_ADDRESS`, 64-bit).
 *
 * @since 0.1.0
 * @category models
 */
export type LogicalAddress = bigint

/**
 * The largest `ULONG` (`MAXULONG`).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAXULONG = 0xFFFFFFFF as const

/**
 * The largest `USHORT`.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAXUSHORT = 0xFFFF

/**
 * The largest 64-bit unsigned value.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAXUINT64 = 0xFFFF_FFFF_FFFF_FFFFn

/**
 * True for an integer in `[0, 2^32)`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isUlong = (u: unknown): u is ULONG =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= MAXULONG

/**
 * True for an integer in `[0, 2^16)`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isUshort = (u: unknown): u is USHORT =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && u <= MAXUSHORT

/**
 * True for a bigint in `[0, 2^64)`.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isUint64 = (u: unknown): u is UINT64 => typeof u === "bigint" && u >= 0n && u <= MAXUINT64

/**
 * Schema of a `ULONG` / `UINT32`: an integer in `[0, 4294967295]`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Ulong: Schema.Schema<ULONG> = Schema.Number.pipe(
  Schema.filter((n) => isUlong(n) || `expected an unsigned 32-bit integer (0..4294967295), got ${n}`),
  Schema.annotations({ identifier: "ULONG" })
)

/**
 * Schema of a `USHORT`: an integer in `[0, 65535]`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Ushort: Schema.Schema<USHORT> = Schema.Number.pipe(
  Schema.filter((n) => isUshort(n) || `expected an unsigned 16-bit integer (0..65535), got ${n}`),
  Schema.annotations({ identifier: "USHORT" })
)

/**
 * Schema of a 64-bit unsigned value held in a `bigint` (`UINT64`, `SIZE_T`, addresses).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Uint64: Schema.Schema<UINT64> = Schema.BigIntFromSelf.pipe(
  Schema.filter((n) => isUint64(n) || `expected an unsigned 64-bit integer (0..2^64-1), got ${n}`),
  Schema.annotations({ identifier: "UINT64" })
)
