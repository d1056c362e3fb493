/**
 * @since 0.1.0
 */
export * as Fabric from "./Fabric.js"
/**
 * @since 0.1.0
 */
export * as Nic from "./Nic.js"
/**
 * @since 0.1.0
 */
export * as NicCode from "./NicCode.js"
