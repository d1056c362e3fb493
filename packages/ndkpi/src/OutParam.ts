/**
 * C out- and in/out-parameters (`NDK_CQ **ppNdkCq`, `ULONG *pBufferSize`) as small mutable boxes
 * (SPEC.md §0 conventions).
 *
 * @since 0.1.0
 */

/**
 * An out-parameter: the callee may write `value`. After `STATUS_PENDING` from a create function the provider
 * must not write it (SPEC.md §1.2 item 3).
 *
 * @since 0.1.0
 * @category models
 */
export interface Out<T> {
  value?: T
}

/**
 * An in/out parameter: holds the caller's value on entry; the callee may overwrite it.
 *
 * @since 0.1.0
 * @category models
 */
export interface InOut<T> {
  value: T
}

/**
 * An empty out-parameter.
 *
 * @since 0.1.0
 * @category constructors
 */
export const out = <T>(): Out<T> => ({})

/**
 * An in/out parameter holding `value`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const inOut = <T>(value: T): InOut<T> => ({ value })
