/**
 * Miscellaneous NDKPI constants (SPEC.md §2.6).
 *
 * @since 0.1.0
 */
import * as Scalar from "./Scalar.js"

/**
 * `WSKNDK_GET_WSK_PROVIDER_NDK_DISPATCH`: the `WskControlClient` code `(ULONG)'NDKD'` (MSVC multi-char
 * constant, big-endian packing of the four characters).
 *
 * @since 0.1.0
 * @category constants
 */
export const WSKNDK_GET_WSK_PROVIDER_NDK_DISPATCH = 0x4E444B44

/**
 * First port of the ephemeral ND port range used when the consumer asks for port 0.
 *
 * @since 0.1.0
 * @category constants
 */
export const EPHEMERAL_PORT_FIRST = 49152

/**
 * Last port of the ephemeral ND port range.
 *
 * @since 0.1.0
 * @category constants
 */
export const EPHEMERAL_PORT_LAST = 65535

/**
 * `PAGE_SIZE` of an adapter page (LAM, fast-register): 4096 on x86/x64.
 *
 * @since 0.1.0
 * @category constants
 */
export const PAGE_SIZE = 4096

/**
 * The smallest `FRMRPageCount` a provider may report.
 *
 * @since 0.1.0
 * @category constants
 */
export const MIN_FRMR_PAGE_COUNT = 16

/**
 * `MAXULONG`, the interrupt-moderation sentinel.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAXULONG: 0xFFFFFFFF = Scalar.MAXULONG

/**
 * `AF_INET` (Windows `ws2def.h`).
 *
 * @since 0.1.0
 * @category constants
 */
export const AF_INET = 2

/**
 * `AF_INET6` (Windows `ws2def.h`).
 *
 * @since 0.1.0
 * @category constants
 */
export const AF_INET6 = 23

/**
 * `sizeof(SOCKADDR_IN)`, used for address-length checks.
 *
 * @since 0.1.0
 * @category constants
 */
export const SOCKADDR_IN_SIZE = 16

/**
 * `sizeof(SOCKADDR_IN6)`, used for address-length checks.
 *
 * @since 0.1.0
 * @category constants
 */
export const SOCKADDR_IN6_SIZE = 28
