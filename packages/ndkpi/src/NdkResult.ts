/**
 * `NDK_RESULT` and `NDK_RESULT_EX` [1.2] (SPEC.md §4.6, §4.7): completion-queue entries.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { isSuccess } from "./NtStatus.js"
import type { NTSTATUS } from "./NtStatus.js"
import type { NdkOperationType } from "./OperationType.js"
import { isOperationType, operationTypeName } from "./OperationType.js"
import * as Scalar from "./Scalar.js"

/**
 * `NDK_RESULT` (size 0x18).
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkResult {
  /** Completion status of the work request (unsigned). */
  readonly Status: NTSTATUS
  /** Bytes received; defined only for receive completions (QP and SRQ receives, §13 D21). */
  readonly BytesTransferred: number
  /** The `QPContext` given at QP creation. */
  readonly QPContext: unknown
  /** The `RequestContext` given when the work request was posted. */
  readonly RequestContext: unknown
}

/**
 * `NDK_RESULT_EX` (size 0x28 on x64). `ProviderErrorCode` [2.1] sits in the x64 padding; a provider below 2.1
 * reports 0. `TypeSpecificCompletionOutput` (`ULONG_PTR`) holds the invalidated 32-bit token of a
 * `ReceiveAndInvalidate` completion and is undefined (0 here) otherwise.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkResultEx extends NdkResult {
  readonly Type: NdkOperationType
  /** 0 when `Status` is success (R163); otherwise 0 = no detail, non-zero = provider diagnostic. */
  readonly ProviderErrorCode: number
  readonly TypeSpecificCompletionOutput: number
}

/**
 * Byte size of `NDK_RESULT` on x64.
 *
 * @since 0.1.0
 * @category constants
 */
export const RESULT_SIZE = 0x18

/**
 * Byte size of `NDK_RESULT_EX` on x64 (both the pre-2.1 and 2.1 layouts).
 *
 * @since 0.1.0
 * @category constants
 */
export const RESULT_EX_SIZE = 0x28

/**
 * The `NDK_RESULT` part of an `NDK_RESULT_EX` (what `NdkGetCqResults` reports for the same completion).
 *
 * @since 0.1.0
 * @category constructors
 */
export const toResult = (ex: NdkResultEx): NdkResult => ({
  Status: ex.Status,
  BytesTransferred: ex.BytesTransferred,
  QPContext: ex.QPContext,
  RequestContext: ex.RequestContext
})

const resultFields = {
  Status: Scalar.Ulong.annotations({ identifier: "NTSTATUS" }),
  BytesTransferred: Scalar.Ulong,
  QPContext: Schema.Unknown,
  RequestContext: Schema.Unknown
}

/**
 * Schema of `NDK_RESULT`: `Status` an unsigned 32-bit NTSTATUS, `BytesTransferred` a `ULONG`, contexts opaque.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkResult: Schema.Schema<NdkResult> = Schema.Struct(resultFields).annotations({
  identifier: "NDK_RESULT"
})

const OperationTypeSchema: Schema.Schema<NdkOperationType> = Schema.declare(isOperationType, {
  identifier: "NDK_OPERATION_TYPE",
  message: (issue) =>
    `expected an NDK_OPERATION_TYPE (1, 0x8001, 2, 4, 8, 16, 32 or 64), got ${
      typeof issue.actual === "number" ? operationTypeName(issue.actual) : String(issue.actual)
    }`
})

/**
 * Schema of `NDK_RESULT_EX`: the `NDK_RESULT` fields, a defined operation type, a `ULONG` provider error code that
 * is 0 for every successful completion (R163), and a non-negative integer type-specific output.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkResultEx: Schema.Schema<NdkResultEx> = Schema.Struct({
  ...resultFields,
  Type: OperationTypeSchema,
  ProviderErrorCode: Scalar.Ulong,
  TypeSpecificCompletionOutput: Schema.Number.pipe(
    Schema.filter((n) => (Number.isSafeInteger(n) && n >= 0) || `expected a non-negative integer (ULONG_PTR), got ${n}`)
  )
}).pipe(
  Schema.filter((r) =>
    !isSuccess(r.Status) || r.ProviderErrorCode === 0 ||
    `ProviderErrorCode must be 0 for a successful completion, got ${r.ProviderErrorCode}`
  ),
  Schema.annotations({ identifier: "NDK_RESULT_EX" })
)
