/**
 * @since 0.1.0
 */
export * as HostMemory from "./HostMemory.js"

/**
 * @since 0.1.0
 */
export * as Ndk from "./Ndk.js"
