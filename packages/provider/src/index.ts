/**
 * @since 0.1.0
 */
export * as NdkProvider from "./NdkProvider.js"

/**
 * @since 0.1.0
 */
export * as SimulatedHosts from "./SimulatedHosts.js"
