/**
 * `NDK_OPERATION_TYPE` [1.2] (SPEC.md §2.2): which operation a `NDK_RESULT_EX` completes.
 *
 * @since 0.1.0
 */

/**
 * Every `NDK_OPERATION_TYPE` member with its header value. The doc page shows no values (SPEC.md §13 D12);
 * these are the header's. A symbol dump prints `ReceiveAndInvalidate` as `0xffff8001`; the header value
 * 0x8001 is authoritative.
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkOperationType = {
  NdkOperationTypeReceive: 0x0001,
  /** A receive completion caused by the peer's `NdkSendAndInvalidate` (receiver side). */
  NdkOperationTypeReceiveAndInvalidate: 0x8001,
  NdkOperationTypeSend: 0x0002,
  NdkOperationTypeFastRegister: 0x0004,
  NdkOperationTypeBind: 0x0008,
  NdkOperationTypeInvalidate: 0x0010,
  NdkOperationTypeRead: 0x0020,
  NdkOperationTypeWrite: 0x0040
} as const

/**
 * The name of an `NDK_OPERATION_TYPE` member.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkOperationTypeName = keyof typeof NdkOperationType

/**
 * An `NDK_OPERATION_TYPE` value.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkOperationType = typeof NdkOperationType[NdkOperationTypeName]

/**
 * All values, in header order.
 *
 * @since 0.1.0
 * @category constants
 */
export const all: ReadonlyArray<NdkOperationType> = Object.values(NdkOperationType)

const names: ReadonlyMap<number, NdkOperationTypeName> = new Map(
  (Object.keys(NdkOperationType) as Array<NdkOperationTypeName>).map((name) => [NdkOperationType[name], name])
)

/**
 * True for a defined `NDK_OPERATION_TYPE` value.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isOperationType = (u: unknown): u is NdkOperationType => typeof u === "number" && names.has(u)

/**
 * True for every receive-side completion (`Receive` and `ReceiveAndInvalidate`): `(Type & Receive) != 0`,
 * the test Microsoft's sample consumer uses.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isReceive = (type: NdkOperationType): boolean => (type & NdkOperationType.NdkOperationTypeReceive) !== 0

/**
 * The member name of any value, or `NDK_OPERATION_TYPE(0x…)` for an undefined one.
 *
 * @since 0.1.0
 * @category getters
 */
export const operationTypeName = (type: number): string =>
  names.get(type) ?? `NDK_OPERATION_TYPE(0x${(type >>> 0).toString(16).toUpperCase()})`
