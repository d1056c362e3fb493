/**
 * The NDK object lifetime kernel (SPEC.md §1.2, §7.3, §8; R12–R32).
 *
 * One {@link Kernel} (per adapter or per host) owns object records. Each record has an id, a type (the
 * provider's `NDK_OBJECT_TYPE` value), a parent, antecedent edges, a state (Creating → Open → Closing →
 * Closed), a count of pending requests, a count of in-progress notifications, its open successors (a linked
 * list of edges through the records, no `Set`) and the close context.
 *
 * The provider never decides "may the close completion fire": it reports begin/end of requests and
 * notifications and edge changes, and the kernel fires the close completion exactly once, last — after
 * both counts are zero and every successor's close completion has returned.
 *
 * Hot-path operations have synchronous `unsafe…` twins. An `unsafeEnd…` twin returns `true` when its
 * decrement made the object's close ready; the caller must then run {@link settle} (the Effect twins do it
 * for you).
 *
 * @since 0.1.0
 */
import { NtStatus } from "@effect-ndk/ndkpi"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"
import type { CallbackKind as CallbackKindT, Kind, Sink, State } from "./LifetimeEvent.js"
import { CallbackKind, stateName, Violation } from "./LifetimeEvent.js"

const STATUS_SUCCESS = NtStatus.NtStatus.STATUS_SUCCESS
const STATUS_PENDING = NtStatus.NtStatus.STATUS_PENDING
const STATUS_INVALID_DEVICE_STATE = NtStatus.NtStatus.STATUS_INVALID_DEVICE_STATE
// state literals (module constants V8 can fold; `State.Open` would be a property load on the hot path)
const CREATING: State = 0
const OPEN: State = 1
const CLOSING: State = 2
const CLOSED: State = 3

/**
 * The status a refused request, notification, create or edge gets: the object (or the parent) is not
 * Open (SPEC.md §8.2, R32).
 *
 * @since 0.1.0
 * @category constants
 */
export const REFUSED_STATUS: number = STATUS_INVALID_DEVICE_STATE

/**
 * A consumer callback as the kernel sees it: an Effect that completes when the callback has returned to the
 * provider. Failure or defect is logged and still counts as returned.
 *
 * @since 0.1.0
 * @category models
 */
export type Callback = Effect.Effect<void, unknown>

/**
 * A close completion (`NDK_FN_CLOSE_COMPLETION`): one argument, the close context.
 *
 * @since 0.1.0
 * @category models
 */
export type CloseCompletion = (context: unknown) => Callback

/**
 * A dependency edge antecedent → successor. Kept in two lists: the antecedent's successor list (doubly
 * linked, O(1) removal) and the successor's antecedent list (singly linked; a successor has few
 * antecedents).
 *
 * @since 0.1.0
 * @category models
 */
export class Edge {
  /** @internal */
  prev: Edge | undefined = undefined
  /** @internal */
  next: Edge | undefined = undefined
  /** @internal */
  nextOfSuccessor: Edge | undefined = undefined
  constructor(readonly antecedent: LifetimeObject, readonly successor: LifetimeObject) {}
}

/**
 * One object record. Fields are readable for inspection; only the kernel functions change them.
 *
 * @since 0.1.0
 * @category models
 */
export class LifetimeObject {
  /** Current state (see `LifetimeEvent.State`). */
  state: State = OPEN
  /** Requests accepted and whose completion callback has not yet returned. */
  pending = 0
  /** Notification callbacks in progress. */
  notifying = 0
  /** Open successors (edges whose successor has not finished closing). */
  successors = 0
  /** @internal */
  successorHead: Edge | undefined = undefined
  /** @internal */
  antecedentHead: Edge | undefined = undefined
  /** The final status of the create (STATUS_SUCCESS for an inline create). */
  createStatus = 0
  /** The status the first close returned (-1 before any close). */
  closeStatus = -1
  /** @internal */
  closeCompletion: CloseCompletion | undefined = undefined
  /** The close context (held only while the close is pending). */
  closeContext: unknown = undefined
  /** @internal */
  firing = false
  /** @internal */
  waiters: Array<() => void> | undefined = undefined
  /** @internal */
  createWaiter: ((status: number) => void) | undefined = undefined
  /** @internal */
  watchdog: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  /** @internal */
  controls: Set<Fiber.RuntimeFiber<unknown, unknown>> | undefined = undefined
  /** @internal */
  beginEffect: Effect.Effect<number> | undefined = undefined
  /** @internal */
  endEffect: Effect.Effect<void> | undefined = undefined
  constructor(readonly id: number, readonly type: number, readonly parent: LifetimeObject | undefined) {}
}

/**
 * Kernel options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Receives every event; absent ⇒ no event is built. */
  readonly sink?: Sink | undefined
  /** Virtual-time threshold after which a pending close logs what it waits for (default 30 s; 0 = off). */
  readonly watchdog?: Duration.DurationInput | undefined
}

/**
 * A kernel: the registry of live object records and the event sink.
 *
 * @since 0.1.0
 * @category models
 */
export class Kernel {
  /** Live records (Creating, Open or Closing) by id; a record leaves at Closed. */
  readonly objects = new Map<number, LifetimeObject>()
  /** Watchdog fibers alive (one per close pending longer than nothing). */
  watchdogs = 0
  /** Control-request fibers alive (see `Resource.control`). */
  controls = 0
  /** @internal */
  nextId = 1
  /** @internal */
  seq = 0
  /** @internal */
  readonly watchdogMillis: number
  /** @internal */
  ready: Array<LifetimeObject> | undefined = undefined
  /** @internal the runtime of the last pending close: delivers closes made ready by a synchronous step */
  runtime: Runtime.Runtime<never> | undefined = undefined
  constructor(readonly sink: Sink | undefined, watchdog: Duration.DurationInput) {
    this.watchdogMillis = Duration.toMillis(Duration.decode(watchdog))
  }
}

/**
 * Creates a kernel (synchronous).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMake = (options?: Options): Kernel =>
  new Kernel(options?.sink, options?.watchdog ?? Duration.seconds(30))

/**
 * Creates a kernel.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options?: Options): Effect.Effect<Kernel> => Effect.sync(() => unsafeMake(options))

// ---------------------------------------------------------------------------------------------------------
// events

const emit = (k: Kernel, kind: Kind, obj: LifetimeObject, detail: number): void => {
  if (k.sink !== undefined) k.sink({ seq: ++k.seq, kind, id: obj.id, type: obj.type, detail })
}

// ---------------------------------------------------------------------------------------------------------
// edges

const link = (k: Kernel, ante: LifetimeObject, succ: LifetimeObject): void => {
  const e = new Edge(ante, succ)
  const head = ante.successorHead
  e.next = head
  if (head !== undefined) head.prev = e
  ante.successorHead = e
  ante.successors++
  e.nextOfSuccessor = succ.antecedentHead
  succ.antecedentHead = e
  emit(k, "DependencyAdded", ante, succ.id)
}

/** Removes `e` from its antecedent's successor list (not from the successor's list). */
const unlinkFromAntecedent = (k: Kernel, e: Edge): void => {
  const ante = e.antecedent
  if (e.prev !== undefined) e.prev.next = e.next
  else ante.successorHead = e.next
  if (e.next !== undefined) e.next.prev = e.prev
  e.prev = undefined
  e.next = undefined
  ante.successors--
  emit(k, "DependencyRemoved", ante, e.successor.id)
}

const isReady = (obj: LifetimeObject): boolean =>
  obj.state === CLOSING && !obj.firing && obj.pending === 0 && obj.notifying === 0 && obj.successors === 0

const findEdge = (ante: LifetimeObject, succ: LifetimeObject): Edge | undefined => {
  for (let e = succ.antecedentHead; e !== undefined; e = e.nextOfSuccessor) {
    if (e.antecedent === ante) return e
  }
  return undefined
}

/**
 * Adds the dependency edge `antecedent → successor` (MR→MW at bind, QP→connector at connect/accept,
 * listener→connector, shared endpoint→connector). Refused with {@link REFUSED_STATUS} when the antecedent
 * is not Open or the successor is Closing/Closed; adding an existing edge is a no-op returning
 * STATUS_SUCCESS.
 *
 * @since 0.1.0
 * @category dependencies
 */
export const unsafeAddDependency = (k: Kernel, antecedent: LifetimeObject, successor: LifetimeObject): number => {
  if (antecedent.state !== OPEN || successor.state >= CLOSING || antecedent === successor) {
    return STATUS_INVALID_DEVICE_STATE
  }
  if (findEdge(antecedent, successor) === undefined) link(k, antecedent, successor)
  return STATUS_SUCCESS
}

/**
 * Effect twin of {@link unsafeAddDependency}.
 *
 * @since 0.1.0
 * @category dependencies
 */
export const addDependency = (
  k: Kernel,
  antecedent: LifetimeObject,
  successor: LifetimeObject
): Effect.Effect<number> => Effect.sync(() => unsafeAddDependency(k, antecedent, successor))

/**
 * Removes the edge `antecedent → successor` (MW invalidated/unbound). Returns `true` when this made the
 * antecedent's pending close ready: run {@link settle} on the antecedent then. A missing edge is a no-op.
 *
 * @since 0.1.0
 * @category dependencies
 */
export const unsafeRemoveDependency = (k: Kernel, antecedent: LifetimeObject, successor: LifetimeObject): boolean => {
  let prev: Edge | undefined = undefined
  for (let e = successor.antecedentHead; e !== undefined; e = e.nextOfSuccessor) {
    if (e.antecedent === antecedent) {
      if (prev === undefined) successor.antecedentHead = e.nextOfSuccessor
      else prev.nextOfSuccessor = e.nextOfSuccessor
      e.nextOfSuccessor = undefined
      unlinkFromAntecedent(k, e)
      return isReady(antecedent)
    }
    prev = e
  }
  return false
}

/**
 * Removes the edge `antecedent → successor`; if the antecedent's close was waiting only for it, the
 * antecedent's close completion runs inside this Effect.
 *
 * @since 0.1.0
 * @category dependencies
 */
export const removeDependency = (
  k: Kernel,
  antecedent: LifetimeObject,
  successor: LifetimeObject
): Effect.Effect<void> =>
  Effect.suspend(() => unsafeRemoveDependency(k, antecedent, successor) ? fire(k, antecedent) : Effect.void)

// ---------------------------------------------------------------------------------------------------------
// creation

const canParent = (obj: LifetimeObject | undefined): boolean => obj === undefined || obj.state === OPEN

const allOpen = (antecedents: ReadonlyArray<LifetimeObject> | undefined): boolean => {
  if (antecedents === undefined) return true
  for (let i = 0; i < antecedents.length; i++) if (antecedents[i].state !== OPEN) return false
  return true
}

const newRecord = (
  k: Kernel,
  type: number,
  parent: LifetimeObject | undefined,
  antecedents: ReadonlyArray<LifetimeObject> | undefined,
  state: State
): LifetimeObject => {
  const obj = new LifetimeObject(k.nextId++, type, parent)
  obj.state = state
  k.objects.set(obj.id, obj)
  if (parent !== undefined) link(k, parent, obj)
  if (antecedents !== undefined) {
    for (let i = 0; i < antecedents.length; i++) {
      const a = antecedents[i]
      if (a !== parent && findEdge(a, obj) === undefined) link(k, a, obj)
    }
  }
  return obj
}

/**
 * Creates an Open object inline (a create that returns STATUS_SUCCESS): it becomes a successor of its
 * parent and of every antecedent named at creation (CQ/SRQ → QP). Returns `undefined` — the create fails
 * with {@link REFUSED_STATUS} (R32) — when the parent or an antecedent is not Open.
 *
 * @since 0.1.0
 * @category creation
 */
export const unsafeCreate = (
  k: Kernel,
  type: number,
  parent?: LifetimeObject,
  antecedents?: ReadonlyArray<LifetimeObject>
): LifetimeObject | undefined => {
  if (!canParent(parent) || !allOpen(antecedents)) return undefined
  const obj = newRecord(k, type, parent, antecedents, OPEN)
  emit(k, "Created", obj, parent === undefined ? -1 : parent.id)
  return obj
}

/**
 * Starts a create that will pend: the record is Creating, already holds its parent's and antecedents'
 * closes (as a successor), and counts as a pending request on the parent (so the parent's close cancel
 * step must complete it, R167). Finish it with {@link completeCreate}. `undefined` ⇒ refused (R32).
 *
 * @since 0.1.0
 * @category creation
 */
export const unsafeBeginCreate = (
  k: Kernel,
  type: number,
  parent?: LifetimeObject,
  antecedents?: ReadonlyArray<LifetimeObject>
): LifetimeObject | undefined => {
  if (!canParent(parent) || !allOpen(antecedents)) return undefined
  const obj = newRecord(k, type, parent, antecedents, CREATING)
  if (parent !== undefined) parent.pending++
  emit(k, "CreatePending", obj, parent === undefined ? -1 : parent.id)
  return obj
}

/**
 * Completes a create started by {@link unsafeBeginCreate}: with a success status the object becomes Open
 * before the callback runs (the consumer may use or close it inside, R165); with a failure it never existed
 * (its edges are removed). Then the create completion callback runs (contained) and, once it has returned,
 * the create request on the parent ends. Pass no callback for a create that finished inline (R2).
 *
 * @since 0.1.0
 * @category creation
 */
export const completeCreate = (
  k: Kernel,
  obj: LifetimeObject,
  status: number,
  callback?: (obj: LifetimeObject | undefined) => Callback
): Effect.Effect<void> =>
  Effect.uninterruptibleMask((restoreOuter) => {
    if (obj.state !== CREATING) return Effect.void
    let ready: Array<LifetimeObject> | undefined
    const ok = NtStatus.isSuccess(status) && status !== STATUS_PENDING
    obj.createStatus = status
    if (ok) {
      obj.state = OPEN
      emit(k, "Created", obj, obj.parent === undefined ? -1 : obj.parent.id)
    } else {
      ready = markClosed(k, obj, "CreateFailed", status)
    }
    const w = obj.createWaiter
    if (w !== undefined) {
      obj.createWaiter = undefined
      w(status)
    }
    const parent = obj.parent
    const end = Effect.suspend(() => {
      let eff: Effect.Effect<void> = Effect.void
      if (parent !== undefined && unsafeEndRequest(k, parent)) eff = fire(k, parent)
      return ready === undefined ? eff : Effect.zipRight(eff, settleAll(k, ready))
    })
    if (callback === undefined) return end
    return Effect.zipRight(
      invoke(
        k,
        obj,
        CallbackKind.CreateCompletion,
        restoreOuter(Effect.suspend(() => callback(ok ? obj : undefined)))
      ),
      end
    )
  })

/**
 * Waits until a pending create completes; yields its final status.
 *
 * @since 0.1.0
 * @category creation
 */
export const awaitCreated = (obj: LifetimeObject): Effect.Effect<number> =>
  Effect.suspend(() =>
    obj.state !== CREATING
      ? Effect.succeed(obj.createStatus)
      : Effect.async<number>((resume) => {
        obj.createWaiter = (status) => resume(Effect.succeed(status))
      })
  )

// ---------------------------------------------------------------------------------------------------------
// requests

/**
 * Begins a request on `obj` (call it when the provider accepts a request that will pend). Returns
 * STATUS_SUCCESS (tracked) or {@link REFUSED_STATUS} when the object is not Open (never tracked; a use after
 * close is also recorded as a consumer violation, R31).
 *
 * @since 0.1.0
 * @category requests
 */
export const unsafeBeginRequest = (k: Kernel, obj: LifetimeObject): number => {
  if (obj.state !== OPEN) {
    if (k.sink !== undefined) {
      emit(k, "RequestRefused", obj, STATUS_INVALID_DEVICE_STATE)
      if (obj.state >= CLOSING) emit(k, "ConsumerViolation", obj, Violation.UseAfterClose)
    }
    return STATUS_INVALID_DEVICE_STATE
  }
  obj.pending++
  if (k.sink !== undefined) emit(k, "RequestBegun", obj, obj.pending)
  return STATUS_SUCCESS
}

/**
 * Ends a request after its completion callback has returned. Returns `true` when this made the object's
 * close ready (run {@link settle} then).
 *
 * @since 0.1.0
 * @category requests
 */
export const unsafeEndRequest = (k: Kernel, obj: LifetimeObject): boolean => {
  const n = --obj.pending
  if (n < 0) {
    // nothing was pending: a provider bug; ignored (the count never goes below zero)
    obj.pending = 0
    return false
  }
  if (k.sink !== undefined) emit(k, "RequestEnded", obj, n)
  return n === 0 && isReady(obj)
}

/**
 * Effect twin of {@link unsafeBeginRequest}. The Effect is built once per object and reused (an object
 * belongs to one kernel).
 *
 * @since 0.1.0
 * @category requests
 */
export const beginRequest = (k: Kernel, obj: LifetimeObject): Effect.Effect<number> =>
  obj.beginEffect ??= Effect.sync(() => unsafeBeginRequest(k, obj))

/**
 * Effect twin of {@link unsafeEndRequest}, one synchronous step (built once per object). If this end made
 * the close ready, the close completion is delivered on its own fiber (in the runtime of the close call),
 * right after this step — use {@link complete} to run it inline instead.
 *
 * @since 0.1.0
 * @category requests
 */
export const endRequest = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> =>
  obj.endEffect ??= Effect.sync(() => {
    if (unsafeEndRequest(k, obj)) fireDetached(k, obj)
  })

const endRequestInline = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> =>
  Effect.suspend(() => unsafeEndRequest(k, obj) ? fire(k, obj) : Effect.void)

/** Runs `fire` on its own fiber in the runtime captured by the pending close (see `afterCloseSync`). */
const fireDetached = (k: Kernel, obj: LifetimeObject): void => {
  Runtime.runFork(k.runtime ?? Runtime.defaultRuntime)(fire(k, obj), { immediate: false })
}

/**
 * Runs the completion callback of a request begun with {@link unsafeBeginRequest}: the callback is contained
 * (failure/defect logged, still counts as returned), then the request ends — so the close completion can
 * never overlap it (R16, R21). Interrupting the running fiber still ends the request. Completing an object
 * with no pending request is a provider bug: the callback is not run (nothing may follow a close completion,
 * R15) and an error is logged.
 *
 * @since 0.1.0
 * @category requests
 */
export const complete = (k: Kernel, obj: LifetimeObject, callback: Callback): Effect.Effect<void> =>
  Effect.suspend(() =>
    obj.pending === 0
      ? Effect.logError(`lifetime: completion for object ${obj.id} with no pending request refused (provider bug)`)
      : Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(invoke(k, obj, CallbackKind.RequestCompletion, restore(callback)), endRequestInline(k, obj))
      )
  )

// ---------------------------------------------------------------------------------------------------------
// notifications

/**
 * Begins a notification (CQ/SRQ notification, connect or disconnect event). `false` ⇒ the object's close
 * was requested: the provider must not raise the callback (R19, §7.6).
 *
 * @since 0.1.0
 * @category notifications
 */
export const unsafeBeginNotification = (k: Kernel, obj: LifetimeObject): boolean => {
  if (obj.state !== OPEN) {
    if (k.sink !== undefined) emit(k, "NotificationRefused", obj, 0)
    return false
  }
  obj.notifying++
  if (k.sink !== undefined) emit(k, "NotificationBegun", obj, obj.notifying)
  return true
}

/**
 * Ends a notification after its callback returned; `true` ⇒ the close is now ready (run {@link settle}).
 *
 * @since 0.1.0
 * @category notifications
 */
export const unsafeEndNotification = (k: Kernel, obj: LifetimeObject): boolean => {
  if (obj.notifying === 0) return false
  const n = --obj.notifying
  if (k.sink !== undefined) emit(k, "NotificationEnded", obj, n)
  return n === 0 && isReady(obj)
}

/**
 * Whether new notifications are still allowed (the object is Open: no close requested).
 *
 * @since 0.1.0
 * @category notifications
 */
export const mayNotify = (obj: LifetimeObject): boolean => obj.state === OPEN

/**
 * Raises a notification: refuses (`false`, callback not run) once close was requested; otherwise runs the
 * callback contained, counted as in progress until it returns (R17, R20), and yields `true`.
 *
 * @since 0.1.0
 * @category notifications
 */
export const notify = (k: Kernel, obj: LifetimeObject, callback: Callback): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    if (!unsafeBeginNotification(k, obj)) return Effect.succeed(false)
    return Effect.uninterruptibleMask((restore) =>
      Effect.zipRight(
        invoke(k, obj, CallbackKind.Notification, restore(callback)),
        Effect.suspend(() => unsafeEndNotification(k, obj) ? Effect.as(fire(k, obj), true) : Effect.succeed(true))
      )
    )
  })

// ---------------------------------------------------------------------------------------------------------
// callbacks

const invoke = (k: Kernel, obj: LifetimeObject, kind: CallbackKindT, callback: Callback): Effect.Effect<void> => {
  if (k.sink !== undefined) emit(k, "CallbackStarted", obj, kind)
  return Effect.matchCauseEffect(callback, {
    onFailure: (cause) => {
      emit(k, "CallbackFailed", obj, kind)
      emit(k, "CallbackReturned", obj, kind)
      return Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError(
        `lifetime: consumer callback of object ${obj.id} failed (contained, counts as returned)`,
        cause
      ).pipe(Effect.annotateLogs({ objectId: obj.id, objectType: obj.type, callbackKind: kind }))
    },
    onSuccess: () => {
      emit(k, "CallbackReturned", obj, kind)
      return Effect.void
    }
  })
}

// ---------------------------------------------------------------------------------------------------------
// close

/** Closed: leave the registry, wake waiters, drop antecedent edges; returns antecedents now ready. */
const markClosed = (k: Kernel, obj: LifetimeObject, kind: Kind, detail: number): Array<LifetimeObject> | undefined => {
  obj.state = CLOSED
  obj.closeContext = undefined
  obj.closeCompletion = undefined
  k.objects.delete(obj.id)
  emit(k, kind, obj, detail)
  const ws = obj.waiters
  if (ws !== undefined) {
    obj.waiters = undefined
    for (let i = 0; i < ws.length; i++) ws[i]()
  }
  let ready: Array<LifetimeObject> | undefined
  let e = obj.antecedentHead
  obj.antecedentHead = undefined
  while (e !== undefined) {
    const nx = e.nextOfSuccessor
    e.nextOfSuccessor = undefined
    unlinkFromAntecedent(k, e)
    if (isReady(e.antecedent)) (ready ??= []).push(e.antecedent)
    e = nx
  }
  return ready
}

const settleAll = (k: Kernel, objs: ReadonlyArray<LifetimeObject>): Effect.Effect<void> =>
  Effect.forEach(objs, (o) => settle(k, o), { discard: true })

/** Fires the close completion (once, last), then closes the record and settles its antecedents. */
const fire = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!isReady(obj)) return Effect.void
    return Effect.uninterruptible(fireNow(k, obj))
  })

const fireNow = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (!isReady(obj)) return Effect.void
    obj.firing = true
    const wd = obj.watchdog
    if (wd !== undefined) {
      obj.watchdog = undefined
      wd.unsafeInterruptAsFork(FiberId.none)
    }
    const cc = obj.closeCompletion
    const ctx = obj.closeContext
    const after = Effect.suspend(() => {
      const ready = markClosed(k, obj, "StateChanged", CLOSED)
      return ready === undefined ? Effect.void : settleAll(k, ready)
    })
    if (cc === undefined) return after
    return Effect.zipRight(invoke(k, obj, CallbackKind.CloseCompletion, Effect.suspend(() => cc(ctx))), after)
  })

/**
 * If `obj`'s close is pending and every condition of SPEC.md §8.4 holds, fires its close completion (and,
 * transitively, any antecedent close this unblocks). Otherwise does nothing. Idempotent.
 *
 * @since 0.1.0
 * @category close
 */
export const settle = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> => fire(k, obj)

/**
 * The synchronous part of a close. Returns the status; for STATUS_PENDING from the first close the caller
 * must start the cancel step and the watchdog (see {@link close}).
 *
 * @internal
 */
export const closeSync = (
  k: Kernel,
  obj: LifetimeObject,
  completion: CloseCompletion | undefined,
  context: unknown
): number => {
  if (obj.state !== OPEN) {
    if (obj.state === CREATING) {
      emit(k, "ConsumerViolation", obj, Violation.CloseWhileCreating)
      emit(k, "CloseRequested", obj, STATUS_INVALID_DEVICE_STATE)
      return STATUS_INVALID_DEVICE_STATE
    }
    emit(k, "ConsumerViolation", obj, Violation.SecondClose)
    emit(k, "CloseRequested", obj, obj.closeStatus)
    return obj.closeStatus
  }
  obj.state = CLOSING
  if (k.sink !== undefined) emit(k, "StateChanged", obj, CLOSING)
  if (obj.pending === 0 && obj.notifying === 0 && obj.successors === 0) {
    obj.closeStatus = STATUS_SUCCESS
    const ready = markClosed(k, obj, "StateChanged", CLOSED)
    if (ready !== undefined) k.ready = ready
    emit(k, "CloseRequested", obj, STATUS_SUCCESS)
    return STATUS_SUCCESS
  }
  obj.closeStatus = STATUS_PENDING
  obj.closeCompletion = completion
  obj.closeContext = context
  emit(k, "CloseRequested", obj, STATUS_PENDING)
  return STATUS_PENDING
}

/** After a first close: defer antecedent settles (never inside the close call), start watchdog + cancel. */
export const afterCloseSync = (
  k: Kernel,
  obj: LifetimeObject,
  status: number,
  cancel: Effect.Effect<void> | undefined
): Effect.Effect<void> => {
  if (status === STATUS_SUCCESS) {
    const ready = k.ready
    if (ready === undefined) return Effect.void
    k.ready = undefined
    return Effect.asVoid(Effect.forkDaemon(settleAll(k, ready)))
  }
  let eff: Effect.Effect<void> = Effect.map(Effect.runtime<never>(), (rt) => {
    k.runtime = rt
  })
  const controls = obj.controls
  if (controls !== undefined) {
    eff = Effect.zipRight(
      eff,
      Effect.sync(() => {
        for (const f of controls) f.unsafeInterruptAsFork(FiberId.none)
      })
    )
  }
  if (k.watchdogMillis > 0) eff = Effect.zipRight(eff, startWatchdog(k, obj))
  return cancel === undefined ? eff : Effect.zipRight(eff, cancel)
}

/**
 * Options of a close call.
 *
 * @since 0.1.0
 * @category close
 */
export interface CloseOptions {
  /** The consumer's close completion; fired once iff the close returns STATUS_PENDING. */
  readonly completion?: CloseCompletion | undefined
  /** The close context handed back to the completion by identity (R3). */
  readonly context?: unknown
  /**
   * The provider's cancel step, run when the close pends: it must arrange for every pending request to
   * complete through its normal completion path (STATUS_CANCELLED, SPEC.md §8.7) — but must not invoke the
   * callbacks inside this Effect (R168): hand them to the provider's delivery fiber.
   */
  readonly cancel?: Effect.Effect<void> | undefined
}

/**
 * `NdkCloseObject` (SPEC.md §8.3–8.4). Open → Closing. Returns STATUS_SUCCESS when nothing is pending, no
 * notification runs and no successor is open (no completion will ever fire, R13); otherwise STATUS_PENDING
 * (exactly one completion later, with the context, after everything returned, R14–R16, R21–R27), after
 * starting the cancel step and the watchdog. Control-request fibers of the object are interrupted.
 *
 * The close completion never runs inside this call. When a STATUS_SUCCESS close was the last thing an
 * antecedent's pending close waited for, that antecedent's completion runs on a separate fiber (SPEC.md
 * §8.10 item 6).
 *
 * Second close (R31): returns the first close's status (SUCCESS or PENDING), fires no new completion, keeps
 * the first context, and emits a `ConsumerViolation` (`SecondClose`) event. A close of a still-Creating
 * record returns {@link REFUSED_STATUS} with a `CloseWhileCreating` violation.
 *
 * @since 0.1.0
 * @category close
 */
export const close = (k: Kernel, obj: LifetimeObject, options?: CloseOptions): Effect.Effect<number> =>
  Effect.uninterruptible(Effect.suspend(() => {
    const first = obj.state === OPEN
    const status = closeSync(k, obj, options?.completion, options?.context)
    if (!first) return Effect.succeed(status)
    return Effect.as(afterCloseSync(k, obj, status, options?.cancel), status)
  }))

/**
 * Waits until `obj` is Closed (its close completion, if any, has returned). Interruptible.
 *
 * @since 0.1.0
 * @category close
 */
export const awaitClosed = (obj: LifetimeObject): Effect.Effect<void> =>
  Effect.suspend(() => {
    if (obj.state === CLOSED) return Effect.void
    return Effect.async<void>((resume) => {
      const w = () => resume(Effect.void)
      ;(obj.waiters ??= []).push(w)
      return Effect.sync(() => {
        const ws = obj.waiters
        if (ws !== undefined) {
          const i = ws.indexOf(w)
          if (i >= 0) ws.splice(i, 1)
        }
      })
    })
  })

/**
 * Adapter-style close (`CloseNDKAdapterHandler` / `WskCloseNdkAdapter`, SPEC.md §8.6): closes `obj` without
 * a close completion and does not return until every descendant is closed and every callback returned.
 * Must not be called from a consumer callback (it would wait for itself).
 *
 * @since 0.1.0
 * @category close
 */
export const closeAndWait = (k: Kernel, obj: LifetimeObject, cancel?: Effect.Effect<void>): Effect.Effect<void> =>
  Effect.zipRight(close(k, obj, { cancel }), awaitClosed(obj))

// ---------------------------------------------------------------------------------------------------------
// watchdog

const successorIds = (obj: LifetimeObject, max: number): Array<number> => {
  const ids: Array<number> = []
  for (let e = obj.successorHead; e !== undefined && ids.length < max; e = e.next) ids.push(e.successor.id)
  return ids
}

const startWatchdog = (k: Kernel, obj: LifetimeObject): Effect.Effect<void> => {
  const ms = k.watchdogMillis
  let waited = 0
  const tick = Effect.suspend(() => {
    waited += ms
    emit(k, "CloseStalled", obj, waited)
    return Effect.logWarning(
      `lifetime: close of object ${obj.id} (type ${obj.type}) pending for ${waited} ms; waits for ` +
        `${obj.pending} pending request(s), ${obj.notifying} notification(s), ${obj.successors} successor(s) ` +
        `[${successorIds(obj, 16).join(", ")}]`
    ).pipe(Effect.annotateLogs({
      objectId: obj.id,
      objectType: obj.type,
      pending: obj.pending,
      notifying: obj.notifying,
      successors: obj.successors
    }))
  })
  // the counter and its finalizer are installed atomically; the loop itself is always interruptible (the
  // close may be requested from an uninterruptible region, e.g. a scope release, whose flags a fork inherits)
  const watch = Effect.uninterruptible(Effect.suspend(() => {
    k.watchdogs++
    return Effect.ensuring(
      Effect.interruptible(Effect.forever(Effect.zipRight(Effect.sleep(ms), tick))),
      Effect.sync(() => {
        k.watchdogs--
      })
    )
  }))
  return Effect.flatMap(
    Effect.forkDaemon(watch),
    (fiber) =>
      Effect.sync(() => {
        if (obj.state === CLOSING && !obj.firing) obj.watchdog = fiber
        else fiber.unsafeInterruptAsFork(FiberId.none)
      })
  )
}

// ---------------------------------------------------------------------------------------------------------
// inspection

/**
 * A plain snapshot of a record, for logs and checkers.
 *
 * @since 0.1.0
 * @category inspection
 */
export interface Snapshot {
  readonly id: number
  readonly type: number
  readonly parent: number | undefined
  readonly state: "Creating" | "Open" | "Closing" | "Closed"
  readonly pending: number
  readonly notifying: number
  readonly successors: ReadonlyArray<number>
  readonly antecedents: ReadonlyArray<number>
}

/**
 * @since 0.1.0
 * @category inspection
 */
export const snapshot = (obj: LifetimeObject): Snapshot => {
  const antecedents: Array<number> = []
  for (let e = obj.antecedentHead; e !== undefined; e = e.nextOfSuccessor) antecedents.push(e.antecedent.id)
  return {
    id: obj.id,
    type: obj.type,
    parent: obj.parent?.id,
    state: stateName(obj.state),
    pending: obj.pending,
    notifying: obj.notifying,
    successors: successorIds(obj, Number.MAX_SAFE_INTEGER),
    antecedents
  }
}

/**
 * The live record with this id, if any.
 *
 * @since 0.1.0
 * @category inspection
 */
export const get = (k: Kernel, id: number): LifetimeObject | undefined => k.objects.get(id)

/**
 * Whether a close was requested on `obj` (Closing or Closed).
 *
 * @since 0.1.0
 * @category inspection
 */
export const isCloseRequested = (obj: LifetimeObject): boolean => obj.state >= CLOSING
