/**
 * `NDK_OBJECT_HEADER` and `NDK_OBJECT_HEADER_RESERVED_BLOCK` (SPEC.md §4.2): the first field of every NDK
 * object.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as NdkVersion from "./NdkVersion.js"
import type { LiveObjectType } from "./ObjectType.js"
import { isLiveObjectType, objectTypeName } from "./ObjectType.js"

/**
 * `NDK_OBJECT_HEADER_RESERVED_BLOCK { PVOID rf[4]; }`: reserved for the consumer side. The provider zeroes it
 * at creation and never touches it until the object is closed, so it is the one mutable part of a header.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkObjectHeaderReservedBlock {
  readonly rf: [unknown, unknown, unknown, unknown]
}

/**
 * `NDK_OBJECT_HEADER` (size 0x28): the object's version (the negotiated NDKPI version), its type (never 0),
 * and the consumer's reserved block. `T` narrows the type tag of a specific object.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkObjectHeader<T extends LiveObjectType = LiveObjectType> {
  readonly Version: NdkVersion.NdkVersion
  readonly ObjectType: T
  readonly NdkReserved: NdkObjectHeaderReservedBlock
}

/**
 * Byte size of `NDK_OBJECT_HEADER` on x64.
 *
 * @since 0.1.0
 * @category constants
 */
export const SIZE = 0x28

/**
 * Byte size of an NDK object (`Header` + `Dispatch` pointer) on x64.
 *
 * @since 0.1.0
 * @category constants
 */
export const OBJECT_SIZE = 0x30

/**
 * A fresh header as the provider fills it at creation: negotiated version, type, zeroed reserved block.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <T extends LiveObjectType>(objectType: T, version: NdkVersion.NdkVersion): NdkObjectHeader<T> => ({
  Version: { Major: version.Major, Minor: version.Minor },
  ObjectType: objectType,
  NdkReserved: { rf: [null, null, null, null] }
})

const LiveObjectTypeSchema: Schema.Schema<LiveObjectType> = Schema.declare(isLiveObjectType, {
  identifier: "NDK_OBJECT_TYPE",
  message: (issue) =>
    `expected the NDK_OBJECT_TYPE of a live object (1..10), got ${
      typeof issue.actual === "number" ? objectTypeName(issue.actual) : String(issue.actual)
    }`
})

/**
 * Schema of a header: version fields `USHORT`, `ObjectType` a live type (1..10; never 0, never `Max`), and a
 * reserved block of exactly four slots.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkObjectHeader: Schema.Schema<NdkObjectHeader> = Schema.Struct({
  Version: NdkVersion.NdkVersion,
  ObjectType: LiveObjectTypeSchema,
  NdkReserved: Schema.Struct({
    rf: Schema.mutable(Schema.Tuple(Schema.Unknown, Schema.Unknown, Schema.Unknown, Schema.Unknown))
  })
}).annotations({ identifier: "NDK_OBJECT_HEADER" })
