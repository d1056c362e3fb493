/**
 * @since 0.1.0
 */
export * as Lifetime from "./Lifetime.js"

/**
 * @since 0.1.0
 */
export * as LifetimeEvent from "./LifetimeEvent.js"

/**
 * @since 0.1.0
 */
export * as Resource from "./Resource.js"
