/**
 * `NDK_OBJECT_TYPE` (SPEC.md §2.1): the type tag in every object header, with the object struct and
 * dispatch table that belong to each type.
 *
 * @since 0.1.0
 */

/**
 * Every `NDK_OBJECT_TYPE` member with its header value.
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkObjectType = {
  NdkObjectTypeUndefined: 0,
  NdkObjectTypeAdapter: 1,
  NdkObjectTypeQp: 2,
  NdkObjectTypeCq: 3,
  NdkObjectTypeMr: 4,
  NdkObjectTypeMw: 5,
  NdkObjectTypePd: 6,
  NdkObjectTypeSharedEndpoint: 7,
  NdkObjectTypeConnector: 8,
  NdkObjectTypeListener: 9,
  NdkObjectTypeSrq: 10,
  /** Sentinel; may grow in later headers. */
  NdkObjectTypeMax: 11
} as const

/**
 * The name of an `NDK_OBJECT_TYPE` member.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkObjectTypeName = keyof typeof NdkObjectType

/**
 * Any `NDK_OBJECT_TYPE` value, including `Undefined` and the `Max` sentinel.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkObjectType = typeof NdkObjectType[NdkObjectTypeName]

/**
 * The type of a live object: never `Undefined` (0) and never the `Max` sentinel.
 *
 * @since 0.1.0
 * @category models
 */
export type LiveObjectType = Exclude<NdkObjectType, 0 | 11>

/**
 * The short name of an object kind, used to name dispatch tables and objects in this package.
 *
 * @since 0.1.0
 * @category models
 */
export type ObjectKind =
  | "Adapter"
  | "Qp"
  | "Cq"
  | "Mr"
  | "Mw"
  | "Pd"
  | "SharedEndpoint"
  | "Connector"
  | "Listener"
  | "Srq"

/**
 * What belongs to one live object type (SPEC.md §2.1 table).
 *
 * @since 0.1.0
 * @category models
 */
export interface ObjectTypeInfo {
  readonly value: LiveObjectType
  readonly name: NdkObjectTypeName
  readonly kind: ObjectKind
  /** The C object struct, e.g. `NDK_CQ`. */
  readonly struct: string
  /** The C dispatch table, e.g. `NDK_CQ_DISPATCH`. */
  readonly dispatch: string
}

const info = (value: LiveObjectType, kind: ObjectKind, struct: string): ObjectTypeInfo => ({
  value,
  name: `NdkObjectType${kind}` as NdkObjectTypeName,
  kind,
  struct,
  dispatch: `${struct}_DISPATCH`
})

/**
 * The ten live object types in value order (1..10).
 *
 * @since 0.1.0
 * @category constants
 */
export const liveObjectTypes: ReadonlyArray<ObjectTypeInfo> = [
  info(1, "Adapter", "NDK_ADAPTER"),
  info(2, "Qp", "NDK_QP"),
  info(3, "Cq", "NDK_CQ"),
  info(4, "Mr", "NDK_MR"),
  info(5, "Mw", "NDK_MW"),
  info(6, "Pd", "NDK_PD"),
  info(7, "SharedEndpoint", "NDK_SHARED_ENDPOINT"),
  info(8, "Connector", "NDK_CONNECTOR"),
  info(9, "Listener", "NDK_LISTENER"),
  info(10, "Srq", "NDK_SRQ")
]

const byValue: ReadonlyMap<number, ObjectTypeInfo> = new Map(liveObjectTypes.map((i) => [i.value, i]))

const names: ReadonlyMap<number, NdkObjectTypeName> = new Map(
  (Object.keys(NdkObjectType) as Array<NdkObjectTypeName>).map((name) => [NdkObjectType[name], name])
)

/**
 * True for the type of a live object (1..10): `ObjectType` in a live header must never be 0 (doc).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isLiveObjectType = (u: unknown): u is LiveObjectType => typeof u === "number" && byValue.has(u)

/**
 * What belongs to a live object type, or `undefined` for any other number.
 *
 * @since 0.1.0
 * @category getters
 */
export const infoOf = (type: number): ObjectTypeInfo | undefined => byValue.get(type)

/**
 * The member name of any value: the `NDK_OBJECT_TYPE` name if it is one, otherwise `NDK_OBJECT_TYPE(n)`.
 *
 * @since 0.1.0
 * @category getters
 */
export const objectTypeName = (type: number): string => names.get(type) ?? `NDK_OBJECT_TYPE(${type})`
