/**
 * NTSTATUS codes used by NDKPI (SPEC.md §5), with their exact values.
 *
 * A status is stored as an unsigned 32-bit number. `NT_SUCCESS(s)` is true for success and informational
 * codes (the top bit clear); warnings (0x8…) and errors (0xC…) are failures.
 *
 * @since 0.1.0
 */

/**
 * Every NTSTATUS code the model uses, by name (SPEC.md §5.1 documented codes and §5.2 model codes).
 *
 * @since 0.1.0
 * @category constants
 */
export const NtStatus = {
  // §5.1 — documented by NDKPI pages
  STATUS_SUCCESS: 0x00000000,
  STATUS_PENDING: 0x00000103,
  STATUS_BUFFER_OVERFLOW: 0x80000005,
  STATUS_ACCESS_VIOLATION: 0xC0000005,
  STATUS_INVALID_PARAMETER: 0xC000000D,
  STATUS_BUFFER_TOO_SMALL: 0xC0000023,
  STATUS_INVALID_PARAMETER_MIX: 0xC0000030,
  STATUS_SHARING_VIOLATION: 0xC0000043,
  STATUS_INSUFFICIENT_RESOURCES: 0xC000009A,
  STATUS_IO_TIMEOUT: 0xC00000B5,
  STATUS_NOT_SUPPORTED: 0xC00000BB,
  STATUS_INTERNAL_ERROR: 0xC00000E5,
  STATUS_CANCELLED: 0xC0000120,
  STATUS_REMOTE_RESOURCES: 0xC000013D,
  STATUS_INVALID_ADDRESS: 0xC0000141,
  STATUS_TOO_MANY_ADDRESSES: 0xC0000209,
  STATUS_ADDRESS_ALREADY_EXISTS: 0xC000020A,
  STATUS_CONNECTION_REFUSED: 0xC0000236,
  STATUS_CONNECTION_INVALID: 0xC000023A,
  STATUS_NETWORK_UNREACHABLE: 0xC000023C,
  STATUS_HOST_UNREACHABLE: 0xC000023D,
  STATUS_CONNECTION_ABORTED: 0xC0000241,
  STATUS_IMPLEMENTATION_LIMIT: 0xC000042B,
  NDIS_STATUS_BAD_VERSION: 0xC0010004,
  NDIS_STATUS_ADAPTER_NOT_READY: 0xC0010011,
  // §5.2 — NDSPI analogues and model choices
  STATUS_TIMEOUT: 0x00000102,
  STATUS_DEVICE_BUSY: 0x80000011,
  STATUS_NO_MORE_ENTRIES: 0x8000001A,
  STATUS_UNSUCCESSFUL: 0xC0000001,
  STATUS_INVALID_DEVICE_REQUEST: 0xC0000010,
  STATUS_DATA_OVERRUN: 0xC000003C,
  STATUS_DATA_ERROR: 0xC000003E,
  STATUS_INVALID_DEVICE_STATE: 0xC0000184,
  STATUS_INVALID_BUFFER_SIZE: 0xC0000206,
  STATUS_CONNECTION_DISCONNECTED: 0xC000020C,
  STATUS_CONNECTION_RESET: 0xC000020D,
  STATUS_CONNECTION_ACTIVE: 0xC000023B,
  STATUS_DEVICE_REMOVED: 0xC00002B6
} as const

/**
 * Aliases: names that denote the same value as a name in {@link NtStatus}
 * (`NDIS_STATUS_SUCCESS` = `STATUS_SUCCESS`, `NDIS_STATUS_RESOURCES` = `STATUS_INSUFFICIENT_RESOURCES`).
 *
 * @since 0.1.0
 * @category constants
 */
export const NdisStatusAlias = {
  NDIS_STATUS_SUCCESS: NtStatus.STATUS_SUCCESS,
  NDIS_STATUS_RESOURCES: NtStatus.STATUS_INSUFFICIENT_RESOURCES
} as const

/**
 * The name of a known status code.
 *
 * @since 0.1.0
 * @category models
 */
export type NtStatusName = keyof typeof NtStatus

/**
 * A known status code.
 *
 * @since 0.1.0
 * @category models
 */
export type KnownNtStatus = typeof NtStatus[NtStatusName]

/**
 * An NTSTATUS value: an unsigned 32-bit number. Known codes are listed in {@link NtStatus}; providers may
 * return others, which are still statuses.
 *
 * @since 0.1.0
 * @category models
 */
export type NTSTATUS = number

const names: ReadonlyMap<number, NtStatusName> = new Map(
  (Object.keys(NtStatus) as Array<NtStatusName>).map((name) => [NtStatus[name], name])
)

/**
 * `NT_SUCCESS`: true for success and informational codes (severity bits 00 or 01).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSuccess = (status: NTSTATUS): boolean => (status | 0) >= 0

/**
 * True for a known status code.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isKnown = (status: NTSTATUS): status is KnownNtStatus => names.has(status >>> 0)

/**
 * The name of any status: the symbolic name of a known code, otherwise `NTSTATUS(0x…)` with the value in
 * eight hex digits. Total: every number has a name.
 *
 * @since 0.1.0
 * @category getters
 */
export const statusName = (status: NTSTATUS): string => {
  const unsigned = status >>> 0
  return names.get(unsigned) ?? `NTSTATUS(0x${unsigned.toString(16).toUpperCase().padStart(8, "0")})`
}
