/**
 * Events emitted by the lifetime kernel: one per state change, request/notification begin and end,
 * callback start and return, dependency edge change and consumer violation. They feed the verifier and the
 * trace tools; when no sink is installed the kernel allocates none of them.
 *
 * @since 0.1.0
 */

/**
 * What happened.
 *
 * - `Created`: an object exists and is Open (`detail` = parent id, or -1).
 * - `CreatePending`: a create returned STATUS_PENDING; the object is Creating (`detail` = parent id, or -1).
 * - `CreateFailed`: a pending create completed with a failure; the object never existed (`detail` = status).
 * - `StateChanged`: `detail` = the new {@link State} value.
 * - `CloseRequested`: a close call (`detail` = the status it returned).
 * - `RequestBegun` / `RequestEnded` / `RequestRefused` (`detail` = pending count after the change, or the
 *   refusal status).
 * - `NotificationBegun` / `NotificationEnded` / `NotificationRefused` (`detail` = in-progress count, or 0).
 * - `CallbackStarted` / `CallbackReturned` / `CallbackFailed` (`detail` = a {@link CallbackKind} value).
 * - `DependencyAdded` / `DependencyRemoved`: edge antecedent (`id`) → successor (`detail`).
 * - `ConsumerViolation`: `detail` = a {@link Violation} value (e.g. a second close, R31).
 * - `CloseStalled`: the close watchdog fired (`detail` = milliseconds waited so far).
 *
 * @since 0.1.0
 * @category models
 */
export type Kind =
  | "Created"
  | "CreatePending"
  | "CreateFailed"
  | "StateChanged"
  | "CloseRequested"
  | "RequestBegun"
  | "RequestEnded"
  | "RequestRefused"
  | "NotificationBegun"
  | "NotificationEnded"
  | "NotificationRefused"
  | "CallbackStarted"
  | "CallbackReturned"
  | "CallbackFailed"
  | "DependencyAdded"
  | "DependencyRemoved"
  | "ConsumerViolation"
  | "CloseStalled"

/**
 * One kernel event. `seq` is the kernel's event sequence number (strictly increasing, starting at 1).
 *
 * @since 0.1.0
 * @category models
 */
export interface LifetimeEvent {
  readonly seq: number
  readonly kind: Kind
  /** Object id. */
  readonly id: number
  /** Object type (the provider's `NDK_OBJECT_TYPE` value). */
  readonly type: number
  readonly detail: number
}

/**
 * A consumer of events. Called synchronously, inside the kernel operation, after the kernel's state is
 * fully updated; it must not call back into the kernel.
 *
 * @since 0.1.0
 * @category models
 */
export type Sink = (event: LifetimeEvent) => void

/**
 * Which consumer callback an event refers to.
 *
 * @since 0.1.0
 * @category constants
 */
export const CallbackKind = {
  CreateCompletion: 1,
  RequestCompletion: 2,
  Notification: 3,
  CloseCompletion: 4
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type CallbackKind = typeof CallbackKind[keyof typeof CallbackKind]

/**
 * Consumer-contract violations the kernel detects (SPEC.md R31).
 *
 * - `SecondClose`: close called on an object whose close was already requested.
 * - `CloseWhileCreating`: close called on an object whose create is still pending (the consumer cannot
 *   hold such an object; a provider bug if it happens).
 * - `UseAfterClose`: a request started on an object that is Closing or Closed.
 *
 * @since 0.1.0
 * @category constants
 */
export const Violation = {
  SecondClose: 1,
  CloseWhileCreating: 2,
  UseAfterClose: 3
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type Violation = typeof Violation[keyof typeof Violation]

/**
 * Object states (SPEC.md §8.1).
 *
 * @since 0.1.0
 * @category constants
 */
export const State = {
  Creating: 0,
  Open: 1,
  Closing: 2,
  Closed: 3
} as const

/**
 * @since 0.1.0
 * @category models
 */
export type State = typeof State[keyof typeof State]

/**
 * The name of a state, for logs.
 *
 * @since 0.1.0
 * @category utils
 */
export const stateName = (state: State): "Creating" | "Open" | "Closing" | "Closed" =>
  state === 0 ? "Creating" : state === 1 ? "Open" : state === 2 ? "Closing" : "Closed"
