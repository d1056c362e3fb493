/**
 * NIC code → NTSTATUS (SPEC.md §5.2 and §13.1): the one place where the hardware's own codes become NDK
 * statuses. Synchronous verb/post codes, completion codes and event codes share one table.
 */
import { NicCode, Opcode } from "@effect-ndk/hardware/NicCode"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkOperationType } from "@effect-ndk/ndkpi/OperationType"

const S = NtStatus

const table = new Map<number, number>([
  [NicCode.OK, S.STATUS_SUCCESS],
  // synchronous
  [NicCode.INVALID_ARGUMENT, S.STATUS_INVALID_PARAMETER],
  [NicCode.QUEUE_FULL, S.STATUS_NO_MORE_ENTRIES],
  [NicCode.TOO_MANY_SGES, S.STATUS_DATA_OVERRUN],
  [NicCode.TRANSFER_TOO_LONG, S.STATUS_BUFFER_OVERFLOW],
  [NicCode.INLINE_TOO_LONG, S.STATUS_INVALID_PARAMETER],
  [NicCode.QP_NOT_CONNECTED, S.STATUS_CONNECTION_INVALID],
  [NicCode.CQ_IN_ERROR, S.STATUS_INVALID_DEVICE_STATE],
  [NicCode.NO_RESOURCES, S.STATUS_INSUFFICIENT_RESOURCES],
  [NicCode.INVALID_HANDLE, S.STATUS_INVALID_PARAMETER],
  [NicCode.BUSY, S.STATUS_DEVICE_BUSY],
  [NicCode.WRONG_MR_KIND, S.STATUS_INVALID_DEVICE_REQUEST],
  [NicCode.ACCESS_DENIED, S.STATUS_ACCESS_VIOLATION],
  [NicCode.ZERO_LENGTH, S.STATUS_INVALID_PARAMETER],
  [NicCode.BAD_ALIGNMENT, S.STATUS_INVALID_PARAMETER],
  [NicCode.LIMIT_EXCEEDED, S.STATUS_INVALID_PARAMETER],
  [NicCode.INVALID_FLAGS, S.STATUS_INVALID_PARAMETER],
  [NicCode.DEVICE_REMOVED, S.STATUS_DEVICE_REMOVED],
  [NicCode.INVALID_STATE, S.STATUS_INVALID_DEVICE_STATE],
  [NicCode.CQ_TOO_SMALL, S.STATUS_BUFFER_OVERFLOW],
  [NicCode.BAD_ADDRESS, S.STATUS_INVALID_PARAMETER],
  [NicCode.ADDRESS_IN_USE, S.STATUS_SHARING_VIOLATION],
  [NicCode.MAD_TOO_LONG, S.STATUS_INVALID_BUFFER_SIZE],
  [NicCode.NOT_SUPPORTED, S.STATUS_NOT_SUPPORTED],
  // completions (NDSPI matrix, §5.2 / §13.1)
  [NicCode.LOCAL_PROTECTION_ERROR, S.STATUS_ACCESS_VIOLATION],
  [NicCode.LOCAL_LENGTH_ERROR, S.STATUS_BUFFER_OVERFLOW],
  [NicCode.LOCAL_OPERATION_ERROR, S.STATUS_INVALID_DEVICE_REQUEST],
  [NicCode.FLUSHED, S.STATUS_CANCELLED],
  [NicCode.REMOTE_ACCESS_ERROR, S.STATUS_ACCESS_VIOLATION],
  [NicCode.REMOTE_RANGE_ERROR, S.STATUS_REMOTE_RESOURCES],
  [NicCode.REMOTE_INVALID_REQUEST, S.STATUS_REMOTE_RESOURCES],
  [NicCode.REMOTE_OPERATION_ERROR, S.STATUS_REMOTE_RESOURCES],
  [NicCode.RETRY_EXCEEDED, S.STATUS_IO_TIMEOUT],
  [NicCode.RNR_RETRY_EXCEEDED, S.STATUS_IO_TIMEOUT],
  [NicCode.FATAL_ERROR, S.STATUS_INTERNAL_ERROR],
  [NicCode.INVALID_REMOTE_INVALIDATE, S.STATUS_INVALID_DEVICE_REQUEST],
  // events
  [NicCode.CQ_NOTIFY, S.STATUS_SUCCESS],
  [NicCode.CQ_OVERRUN, S.STATUS_BUFFER_OVERFLOW],
  [NicCode.DEVICE_FATAL, S.STATUS_INTERNAL_ERROR],
  [NicCode.SRQ_LIMIT, S.STATUS_SUCCESS]
])

const dense: Array<number> = Array.from({ length: 64 }, (_, c) => table.get(c) ?? S.STATUS_UNSUCCESSFUL)

/** The NTSTATUS for a NIC code; an unknown code is a generic failure. */
export const fromNic = (code: number): number =>
  code >= 0 && code < 64 ? dense[code]! : (table.get(code) ?? S.STATUS_UNSUCCESSFUL)

/** The NTSTATUS of a failed NIC control verb (`NicError.code`). */
export const fromNicError = (e: { readonly code: number }): number => fromNic(e.code)

const opTable = new Map<number, number>([
  [Opcode.SEND, NdkOperationType.NdkOperationTypeSend],
  [Opcode.SEND_INVALIDATE, NdkOperationType.NdkOperationTypeSend],
  [Opcode.WRITE, NdkOperationType.NdkOperationTypeWrite],
  [Opcode.READ, NdkOperationType.NdkOperationTypeRead],
  [Opcode.BIND, NdkOperationType.NdkOperationTypeBind],
  [Opcode.FAST_REGISTER, NdkOperationType.NdkOperationTypeFastRegister],
  [Opcode.INVALIDATE, NdkOperationType.NdkOperationTypeInvalidate],
  [Opcode.RECEIVE, NdkOperationType.NdkOperationTypeReceive],
  [Opcode.RECEIVE_INVALIDATE, NdkOperationType.NdkOperationTypeReceiveAndInvalidate]
])

/** NIC completion opcode → `NDK_OPERATION_TYPE`. */
export const operationType = (opcode: number): number => opTable.get(opcode) ?? NdkOperationType.NdkOperationTypeSend
