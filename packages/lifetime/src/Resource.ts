/**
 * The Effect face of the lifetime kernel: an NDK object as a scoped resource.
 *
 * - {@link acquire}: creates the object (inline, or through a create that pends and completes via
 *   `Lifetime.completeCreate`); its release closes the object and waits for the close completion.
 *   Acquisition and release are uninterruptible: an interrupted fiber never leaks a count, never skips a
 *   close and never closes twice. If the consumer closed the object explicitly before the scope ends, the
 *   release only waits for that close to finish (no second close).
 * - {@link request}: a pending request as an Effect — a counter and the completion path, no fiber.
 * - {@link control}: a control request that is naturally a fiber (connect, accept, disconnect, create),
 *   tracked on the object; the object's close interrupts it, and it then fails with STATUS_CANCELLED.
 *
 * @since 0.1.0
 */
import { NtStatus } from "@effect-ndk/ndkpi"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { Kernel, LifetimeObject } from "./Lifetime.js"
import * as Lifetime from "./Lifetime.js"
import { State } from "./LifetimeEvent.js"

const STATUS_SUCCESS = NtStatus.NtStatus.STATUS_SUCCESS
const STATUS_PENDING = NtStatus.NtStatus.STATUS_PENDING
const STATUS_CANCELLED = NtStatus.NtStatus.STATUS_CANCELLED
const STATUS_INTERNAL_ERROR = NtStatus.NtStatus.STATUS_INTERNAL_ERROR

/**
 * A create, request or control request that did not succeed, with its NTSTATUS.
 *
 * @since 0.1.0
 * @category errors
 */
export class LifetimeError extends Data.TaggedError("LifetimeError")<{
  readonly status: number
  readonly objectId: number
}> {}

/**
 * What {@link acquire} creates.
 *
 * @since 0.1.0
 * @category models
 */
export interface AcquireOptions {
  /** The `NDK_OBJECT_TYPE` value. */
  readonly type: number
  readonly parent?: LifetimeObject | undefined
  /** Antecedents named at creation (e.g. the CQs and SRQ of a QP). */
  readonly antecedents?: ReadonlyArray<LifetimeObject> | undefined
  /**
   * The provider's create work. Returns STATUS_SUCCESS (created inline), STATUS_PENDING (the provider will
   * call `Lifetime.completeCreate(kernel, obj, status)` later) or a failure. Absent ⇒ created inline.
   */
  readonly create?: ((obj: LifetimeObject) => Effect.Effect<number>) | undefined
  /** The provider's close cancel step (see `Lifetime.CloseOptions.cancel`). */
  readonly cancel?: ((obj: LifetimeObject) => Effect.Effect<void>) | undefined
}

const releaseWith = (k: Kernel, cancel: ((obj: LifetimeObject) => Effect.Effect<void>) | undefined) =>
(
  obj: LifetimeObject
): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (obj.state !== State.Open) return Lifetime.awaitClosed(obj)
    const status = Lifetime.closeSync(k, obj, undefined, undefined)
    if (status === STATUS_SUCCESS && k.ready === undefined) return Effect.void
    const after = Lifetime.afterCloseSync(k, obj, status, cancel === undefined ? undefined : cancel(obj))
    return status === STATUS_PENDING ? Effect.zipRight(after, Lifetime.awaitClosed(obj)) : after
  })

const endInline = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> =>
  Effect.suspend(() => Lifetime.unsafeEndRequest(k, obj) ? Lifetime.settle(k, obj) : Effect.void)

const refused = (k: Kernel, parent: LifetimeObject | undefined) =>
  Effect.fail(new LifetimeError({ status: Lifetime.REFUSED_STATUS, objectId: parent?.id ?? -1 }))

/**
 * The object as a scoped resource: acquire = create (waiting for a pending create's completion), release =
 * close + wait for the close completion (the kernel's watchdog logs a close that stays pending). Fails with
 * the create's status (e.g. STATUS_INVALID_DEVICE_STATE when the parent's close was requested, R32).
 *
 * @since 0.1.0
 * @category constructors
 */
export const acquire = (
  k: Kernel,
  options: AcquireOptions
): Effect.Effect<LifetimeObject, LifetimeError, Scope.Scope> => {
  const release = releaseWith(k, options.cancel)
  const create = options.create
  if (create === undefined) {
    return Effect.acquireRelease(
      Effect.suspend(() => {
        const obj = Lifetime.unsafeCreate(k, options.type, options.parent, options.antecedents)
        return obj === undefined ? refused(k, options.parent) : Effect.succeed(obj)
      }),
      release
    )
  }
  return Effect.acquireRelease(
    Effect.suspend(() => {
      const obj = Lifetime.unsafeBeginCreate(k, options.type, options.parent, options.antecedents)
      if (obj === undefined) return refused(k, options.parent)
      // a provider create that dies counts as an inline failure: the record never existed
      const created = Effect.catchAllCause(
        create(obj),
        (cause) =>
          Effect.as(
            Effect.logError(`lifetime: create of object ${obj.id} died; treated as failed`, cause),
            STATUS_INTERNAL_ERROR
          )
      )
      return Effect.flatMap(created, (status) => {
        const final = status === STATUS_PENDING
          ? Lifetime.awaitCreated(obj)
          : Effect.as(Lifetime.completeCreate(k, obj, status), status)
        return Effect.flatMap(final, (s) =>
          obj.state === State.Open
            ? Effect.succeed(obj)
            : Effect.fail(new LifetimeError({ status: s, objectId: obj.id })))
      })
    }),
    release
  )
}

/**
 * A request that pends, as an Effect (no fiber): begins a request on `obj` (fails with
 * STATUS_INVALID_DEVICE_STATE when the object is not Open), calls `start` with a `done` function the
 * provider calls exactly once with the final status, resumes the caller with that status and only then ends
 * the request. A pending NDK request cannot be abandoned: interrupting the waiting fiber takes effect when
 * the request completes (the object's close cancel step guarantees it does).
 *
 * @since 0.1.0
 * @category requests
 */
export const request = (
  k: Kernel,
  obj: LifetimeObject,
  start: (done: (status: number) => void) => void
): Effect.Effect<number, LifetimeError> =>
  Effect.suspend(() => {
    const s = Lifetime.unsafeBeginRequest(k, obj)
    if (s !== STATUS_SUCCESS) return Effect.fail(new LifetimeError({ status: s, objectId: obj.id }))
    return Effect.uninterruptible(
      Effect.flatMap(
        Effect.exit(Effect.async<number>((resume) => {
          let called = false
          start((status) => {
            if (called) return
            called = true
            resume(Effect.succeed(status))
          })
        })),
        // ends the request even when `start` threw (a defect is re-raised after the count is released)
        (exit) => Effect.zipRight(endInline(k, obj), exit)
      )
    )
  })

/**
 * A control request that is naturally a fiber (connect, accept, disconnect, create): forks `effect` as a
 * child fiber tracked on the object (as a pending request), waits for it and ends the request when it
 * exits. Closing the object interrupts it; it then fails with STATUS_CANCELLED. Interrupting the caller
 * interrupts the child and still ends the request.
 *
 * @since 0.1.0
 * @category requests
 */
export const control = <A, E, R>(
  k: Kernel,
  obj: LifetimeObject,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | LifetimeError, R> =>
  Effect.suspend(() => {
    const s = Lifetime.unsafeBeginRequest(k, obj)
    if (s !== STATUS_SUCCESS) return Effect.fail(new LifetimeError({ status: s, objectId: obj.id }))
    const holder: { fiber: Fiber.RuntimeFiber<A, E> | undefined } = { fiber: undefined }
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        Effect.fork(
          Effect.onExit(Effect.interruptible(effect), () =>
            Effect.suspend(() => {
              k.controls--
              const set = obj.controls
              if (set !== undefined && holder.fiber !== undefined) {
                set.delete(holder.fiber)
                if (set.size === 0) obj.controls = undefined
              }
              holder.fiber = undefined
              return endInline(k, obj)
            }))
        ),
        (fiber) => {
          k.controls++
          if (fiber.unsafePoll() === null) {
            holder.fiber = fiber
            ;(obj.controls ??= new Set()).add(fiber)
          }
          return Effect.flatMap(
            Effect.onInterrupt(restore(Fiber.await(fiber)), () => Fiber.interrupt(fiber)),
            (exit): Effect.Effect<A, E | LifetimeError> => {
              if (Exit.isSuccess(exit)) return Effect.succeed(exit.value)
              if (Exit.isInterrupted(exit)) {
                return Effect.fail(new LifetimeError({ status: STATUS_CANCELLED, objectId: obj.id }))
              }
              return Effect.failCause(exit.cause)
            }
          )
        }
      )
    )
  })
