/**
 * @since 0.1.0
 */
export * as Event from "./Event.js"

/**
 * @since 0.1.0
 */
export * as EventLog from "./EventLog.js"

/**
 * @since 0.1.0
 */
export * as Verifier from "./Verifier.js"

/**
 * @since 0.1.0
 */
export * as Broken from "./Broken.js"

/**
 * @since 0.1.0
 */
export * as ProviderSuite from "./ProviderSuite.js"

/**
 * @since 0.1.0
 */
export * as Report from "./Report.js"

/**
 * @since 0.1.0
 */
export * as Simulator from "./Simulator.js"

/**
 * @since 0.1.0
 */
export * as VirtualClock from "./VirtualClock.js"
