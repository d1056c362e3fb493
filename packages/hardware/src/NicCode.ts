/**
 * The NIC's own vocabulary of result codes, like a real NIC's (it knows nothing of NDK statuses).
 *
 * Synchronous codes are returned by verbs and posts; completion codes appear in CQEs; event codes are passed
 * to CQ / SRQ / NIC event handlers. `0` is always success. A provider maps each code onto the status its
 * interface names (see the package README for the table of cases).
 *
 * @since 0.1.0
 */

/**
 * Every code, by name.
 *
 * @since 0.1.0
 * @category constants
 */
export const NicCode = {
  OK: 0,
  // --- synchronous (verbs and posts) ---
  /** an argument is malformed (negative/NaN length, unknown enum, bad handle shape) */
  INVALID_ARGUMENT: 1,
  /** work queue (send, receive or SRQ) is full */
  QUEUE_FULL: 2,
  /** more SGEs than the queue (or the adapter, for reads) allows */
  TOO_MANY_SGES: 3,
  /** total bytes of one WR exceed the adapter's max transfer length */
  TRANSFER_TOO_LONG: 4,
  /** inline payload larger than the QP's inline size */
  INLINE_TOO_LONG: 5,
  /** initiator WR (or connect) on a QP that is not connected / in the wrong state for the verb */
  QP_NOT_CONNECTED: 6,
  /** post on a QP whose CQ has failed (overrun or fatal) */
  CQ_IN_ERROR: 7,
  /** an adapter limit on objects or memory was reached (max QPs, CQs, MRs, arena exhausted...) */
  NO_RESOURCES: 8,
  /** the handle names no live object of that type */
  INVALID_HANDLE: 9,
  /** object still in use: MR with bound MWs, PD with children, CQ/SRQ with QPs */
  BUSY: 10,
  /** verb used on the wrong kind of MR (register on a fast-register MR, fast-register on a normal MR…) */
  WRONG_MR_KIND: 11,
  /** requested rights not allowed: MW remote write without MR local write, FR remote rights without remote access */
  ACCESS_DENIED: 12,
  /** zero-length registration or window */
  ZERO_LENGTH: 13,
  /** fast-register geometry invalid (base VA not ≡ FBO mod page, length beyond pages, unaligned page) */
  BAD_ALIGNMENT: 14,
  /** a size above a documented limit (FR page count, MR size above max registration size, depth above max) */
  LIMIT_EXCEEDED: 15,
  /** flag bits that the WR type does not accept */
  INVALID_FLAGS: 16,
  /** the NIC was reset / surprise-removed; only destroy, poll and query still work */
  DEVICE_REMOVED: 17,
  /** MR already registered (register twice) or QP already connected */
  INVALID_STATE: 18,
  /** CQ resize below the number of queued completions */
  CQ_TOO_SMALL: 19,
  /** the address range is not inside the caller's arena allocation / not mapped */
  BAD_ADDRESS: 20,
  /** fabric address already used, or unknown remote address */
  ADDRESS_IN_USE: 21,
  /** MAD larger than the NIC's max MAD size */
  MAD_TOO_LONG: 22,
  /** the feature is disabled in this NIC's config (SRQ with max depth 0, CQ resize...) */
  NOT_SUPPORTED: 23,
  // --- completion codes (CQE status) ---
  /** local SGE: bad key, wrong PD, out of bounds or missing local right */
  LOCAL_PROTECTION_ERROR: 40,
  /** incoming send larger than the receive buffers */
  LOCAL_LENGTH_ERROR: 41,
  /** malformed local operation: invalidate of an unbound MW / invalid FR-MR, bind to an invalid MR or bad range */
  LOCAL_OPERATION_ERROR: 42,
  /** the WR was flushed (QP in error, flush verb, or after an earlier error) */
  FLUSHED: 43,
  /** the peer rejected the access: bad or stale remote key, wrong PD, missing remote right, write out of bounds */
  REMOTE_ACCESS_ERROR: 44,
  /** RDMA read reaching beyond the remote region */
  REMOTE_RANGE_ERROR: 45,
  /** the peer found the request invalid: its receive buffer was too small, bad invalidate key, IRD exceeded */
  REMOTE_INVALID_REQUEST: 46,
  /** the peer QP is in error (it answers with this NAK) */
  REMOTE_OPERATION_ERROR: 47,
  /** transport retries (timeouts) exhausted: peer unreachable or dead */
  RETRY_EXCEEDED: 48,
  /** receiver-not-ready retries exhausted: the peer never posted a receive */
  RNR_RETRY_EXCEEDED: 49,
  /** the NIC failed (reset / surprise removal) while the WR was in flight */
  FATAL_ERROR: 50,
  /** receive side: a send-with-invalidate named a key that could not be invalidated */
  INVALID_REMOTE_INVALIDATE: 51,
  // --- event codes (CQ / SRQ / NIC handlers) ---
  /** an armed CQ condition was met */
  CQ_NOTIFY: 60,
  /** more completions than the CQ holds: the CQ and its QPs are in error */
  CQ_OVERRUN: 61,
  /** the NIC failed: CQ / SRQ unusable */
  DEVICE_FATAL: 62,
  /** SRQ queued receives fell below the armed limit */
  SRQ_LIMIT: 63,
  /** a watched QP has no work in flight (drain watch, `watchDrain`) */
  QP_DRAINED: 64
} as const

/**
 * A code value.
 *
 * @since 0.1.0
 * @category models
 */
export type NicCode = typeof NicCode[keyof typeof NicCode]

const names = new Map<number, string>(Object.entries(NicCode).map(([k, v]) => [v, k]))

/**
 * Name of a code (total: unknown values print as `NIC(<n>)`).
 *
 * @since 0.1.0
 * @category utils
 */
export const name = (code: number): string => names.get(code) ?? `NIC(${code})`

/**
 * Opcodes reported in completions.
 *
 * @since 0.1.0
 * @category constants
 */
export const Opcode = {
  SEND: 1,
  /** sender side of a send-with-invalidate */
  SEND_INVALIDATE: 2,
  WRITE: 3,
  READ: 4,
  BIND: 5,
  FAST_REGISTER: 6,
  INVALIDATE: 7,
  RECEIVE: 8,
  /** receive of a send-with-invalidate; the CQE carries the invalidated key */
  RECEIVE_INVALIDATE: 9
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type Opcode = typeof Opcode[keyof typeof Opcode]

/**
 * Work-request flags (bit values chosen equal to NDK's header values so a provider may pass them through).
 *
 * @since 0.1.0
 * @category constants
 */
export const WrFlag = {
  SILENT: 0x1,
  FENCE: 0x2,
  SOLICITED: 0x4,
  ALLOW_REMOTE_READ: 0x8,
  ALLOW_LOCAL_WRITE: 0x10,
  ALLOW_REMOTE_WRITE: 0x30,
  INLINE: 0x40,
  READ_SINK: 0x80,
  READ_LOCAL_INVALIDATE: 0x100,
  DEFER: 0x200
} as const

/**
 * Memory-region access rights (bit values equal to NDK's MR flags: remote write implies local write).
 *
 * @since 0.1.0
 * @category constants
 */
export const Access = {
  LOCAL_READ: 0x0,
  LOCAL_WRITE: 0x1,
  REMOTE_READ: 0x2,
  REMOTE_WRITE: 0x5,
  READ_SINK: 0x8
} as const

/**
 * CQ arm types.
 *
 * @since 0.1.0
 * @category constants
 */
export const Arm = {
  /** any new completion */
  NEXT: 1,
  /** a receive of a solicited send, or any error completion */
  SOLICITED: 2
} as const
