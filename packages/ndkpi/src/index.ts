/**
 * @since 0.1.0
 */
export * as NtStatus from "./NtStatus.js"
