/**
 * The machinery under the Effect face: pending-call waits (create, request, close), lifetime statistics, work
 * request tracking (intrusive lists, no fiber or Deferred per operation) and the per-CQ dispatcher.
 */
import * as NdkError from "@effect-ndk/ndkpi/NdkError"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import { isSuccess, NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { objectTypeName } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type {
  NdkCloseCompletion,
  NdkCreateCompletion,
  NdkObject,
  NdkRequestCompletion
} from "@effect-ndk/ndkpi/RawInterface"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import type * as Queue from "effect/Queue"
import * as RuntimeFlags from "effect/RuntimeFlags"
import * as Scope from "effect/Scope"

const S = NtStatus

// ---------------------------------------------------------------------------------------------------------------
// statistics
// ---------------------------------------------------------------------------------------------------------------

/** Lifetime and traffic counters of one `Ndk` instance (mutable; snapshots are copies). */
export interface Stats {
  readonly created: Record<string, number>
  readonly closed: Record<string, number>
  /** closes that returned STATUS_PENDING */
  closesPended: number
  /** close completions that fired */
  closeCompletionsFired: number
  /** work requests completed with STATUS_CANCELLED (flushed) */
  requestsFlushed: number
  /** armed CQ notifications that never fired because their CQ closed first */
  notificationsCancelled: number
  /** CQ notifications delivered */
  notifications: number
  /** work-request completions seen by the dispatchers */
  completions: number
  /** completions of operations whose waiting fiber had been interrupted */
  abandoned: number
  /** operations posted and not yet completed */
  outstanding: number
  /**
   * operations still tracked when their queue pair finished closing: must stay 0 unless a CQ overran (an overrun CQ
   * drops completions and may report it only after the QP closed, SPEC §10.7)
   */
  lost: number
  /** completions whose context was not a consumer operation and no stream took them (must stay 0) */
  strays: number
}

export const makeStats = (): Stats => ({
  created: {},
  closed: {},
  closesPended: 0,
  closeCompletionsFired: 0,
  requestsFlushed: 0,
  notificationsCancelled: 0,
  notifications: 0,
  completions: 0,
  abandoned: 0,
  outstanding: 0,
  lost: 0,
  strays: 0
})

export const snapshot = (s: Stats): Stats => ({ ...s, created: { ...s.created }, closed: { ...s.closed } })

const typeName = (type: number): string => objectTypeName(type).replace("NdkObjectType", "")

export const countCreated = (stats: Stats, type: number): void => {
  const k = typeName(type)
  stats.created[k] = (stats.created[k] ?? 0) + 1
}

const countClosed = (stats: Stats, type: number): void => {
  const k = typeName(type)
  stats.closed[k] = (stats.closed[k] ?? 0) + 1
}

// ---------------------------------------------------------------------------------------------------------------
// pending calls: one wait cell per call (creation, control and close paths only, never per work request)
// ---------------------------------------------------------------------------------------------------------------

class Wait<A> {
  done = false
  status: number = S.STATUS_SUCCESS
  value: A | undefined = undefined
  resume: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  finish(status: number, value: A | undefined): void {
    if (this.done) return
    this.done = true
    this.status = status
    this.value = value
    const r = this.resume
    this.resume = undefined
    if (r !== undefined) r(Effect.void)
  }
  await(): Effect.Effect<void> {
    return this.done ? Effect.void : Effect.async<void>((resume) => {
      if (this.done) resume(Effect.void)
      else this.resume = resume
    })
  }
}

const requestDone: NdkRequestCompletion = (context, status) =>
  Effect.sync(() => (context as Wait<undefined>).finish(status, undefined))

const createDone: NdkCreateCompletion = (context, status, object) =>
  Effect.sync(() => (context as Wait<NdkObject>).finish(status, object ?? undefined))

/** The error of a final status (a failing NTSTATUS, or any non-success code). */
export const toError = (status: number): NdkError.NdkError => NdkError.fromStatus(status >>> 0)

/**
 * Runs a request that may pend (`STATUS_PENDING` ⇒ one later request completion) and waits for its final status.
 * Uninterruptible: a pending request cannot be abandoned, only cancelled by closing its object.
 */
export const request = (
  start: (completion: NdkRequestCompletion, context: unknown) => Effect.Effect<number>
): Effect.Effect<void, NdkError.NdkError> =>
  Effect.uninterruptible(Effect.suspend(() => {
    const w = new Wait<undefined>()
    return Effect.flatMap(start(requestDone, w), (st) => {
      if (st !== S.STATUS_PENDING) return isSuccess(st) ? Effect.void : Effect.fail(toError(st))
      return Effect.flatMap(w.await(), () => isSuccess(w.status) ? Effect.void : Effect.fail(toError(w.status)))
    })
  }))

/** Runs a create that may pend and yields the new object. Uninterruptible (a created object is never lost). */
export const create = <O extends NdkObject>(
  stats: Stats,
  type: number,
  start: (completion: NdkCreateCompletion, context: unknown, out: Out<O>) => Effect.Effect<number>
): Effect.Effect<O, NdkError.NdkError> =>
  Effect.uninterruptible(Effect.suspend(() => {
    const w = new Wait<NdkObject>()
    const out: Out<O> = {}
    return Effect.flatMap(start(createDone, w, out), (st): Effect.Effect<O, NdkError.NdkError> => {
      if (st === S.STATUS_PENDING) {
        return Effect.flatMap(w.await(), () => {
          if (!isSuccess(w.status) || w.value === undefined) {
            return Effect.fail(toError(w.status === S.STATUS_SUCCESS ? S.STATUS_UNSUCCESSFUL : w.status))
          }
          countCreated(stats, type)
          return Effect.succeed(w.value as O)
        })
      }
      if (!isSuccess(st)) return Effect.fail(toError(st))
      if (out.value === undefined) return Effect.fail(toError(S.STATUS_UNSUCCESSFUL))
      countCreated(stats, type)
      return Effect.succeed(out.value)
    })
  }))

const closeDone: NdkCloseCompletion = (context) => Effect.sync(() => (context as Wait<undefined>).finish(0, undefined))

/**
 * `Effect.acquireRelease` without its FiberRef capture: the release is added to the scope as it is, so it runs
 * with the closing fiber's FiberRefs instead of a diff-and-patch back to the acquiring fiber's (two FiberRefs
 * diffs and patches per release — a large share of a QP's or a connection's create/close). The releases here
 * (closes through the provider) read no FiberRef of the acquiring fiber.
 */
export const acquireRelease = <A, E>(
  acquire: Effect.Effect<A, E>,
  release: (a: A) => Effect.Effect<void>
): Effect.Effect<A, E, Scope.Scope> =>
  Effect.uninterruptible(
    Effect.flatMap(Effect.scope, (scope) =>
      Effect.tap(acquire, (a) => Scope.addFinalizer(scope, Effect.suspend(() => release(a)))))
  )

/** `Effect.addFinalizer` without its FiberRef capture (see {@link acquireRelease}). */
export const addFinalizer = (finalizer: Effect.Effect<void>): Effect.Effect<void, never, Scope.Scope> =>
  Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, finalizer))

/**
 * A one-shot latch many fibers may wait on (a close in progress, a disconnect event): a flag, the outcome and the
 * resumes of the waiters — no Deferred, no fiber. Waiting is interruptible (the waiter is dropped).
 */
export class Latch {
  private outcome: Exit.Exit<void> | undefined = undefined
  private waiters: Array<(effect: Effect.Effect<void>) => void> | undefined = undefined

  get done(): boolean {
    return this.outcome !== undefined
  }

  /** Opens the latch with `outcome` (first call only) and resumes every waiter. */
  open(outcome: Exit.Exit<void> = Exit.void): void {
    if (this.outcome !== undefined) return
    this.outcome = outcome
    const ws = this.waiters
    this.waiters = undefined
    if (ws !== undefined) { for (let i = 0; i < ws.length; i++) ws[i]!(outcome) }
  }

  /** Waits until the latch is open, then yields its outcome. */
  readonly await: Effect.Effect<void> = Effect.suspend(() =>
    this.outcome ?? Effect.async<void>((resume) => {
      if (this.outcome !== undefined) {
        resume(this.outcome)
        return
      }
      ;(this.waiters ??= []).push(resume)
      return Effect.sync(() => {
        const ws = this.waiters
        if (ws === undefined) return
        const i = ws.indexOf(resume)
        if (i >= 0) ws.splice(i, 1)
      })
    })
  )
}

/**
 * An unbounded FIFO of items with FIFO waiters (a listener's incoming connectors): one resume per wake-up, no
 * Queue. After `shutdown` takers are interrupted, as with `Queue.shutdown`.
 */
export class Inbox<A> {
  private items: Array<A> = []
  private head = 0
  private takers: Array<(effect: Effect.Effect<A>) => void> = []
  private closed = false

  offer(item: A): void {
    const t = this.takers.shift()
    if (t !== undefined) t(Effect.succeed(item))
    else this.items.push(item)
  }

  private poll(): A | undefined {
    if (this.head >= this.items.length) return undefined
    const item = this.items[this.head]!
    this.items[this.head++] = undefined as A
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    }
    return item
  }

  /** The next item (waits while there is none). */
  readonly take: Effect.Effect<A> = Effect.suspend(() => {
    if (this.head < this.items.length) return Effect.succeed(this.poll()!)
    if (this.closed) return Effect.interrupt
    return Effect.async<A>((resume) => {
      this.takers.push(resume)
      return Effect.sync(() => {
        const i = this.takers.indexOf(resume)
        if (i >= 0) this.takers.splice(i, 1)
      })
    })
  })

  /** Removes and returns every queued item. */
  takeAll(): Array<A> {
    const out = this.items.slice(this.head)
    this.items = []
    this.head = 0
    return out
  }

  /** Interrupts every waiting taker and every later take. */
  shutdown(): void {
    this.closed = true
    const ts = this.takers
    this.takers = []
    for (const t of ts) t(Effect.interrupt)
  }
}

/**
 * Closes an object and waits for its close completion (when the close pends). Runs once: later calls wait for
 * the first (a second NDK close would be a consumer violation, R31) on a {@link Latch}.
 */
export const closer = (
  stats: Stats,
  type: number,
  close: (completion: NdkCloseCompletion, context: unknown) => Effect.Effect<number>,
  after?: Effect.Effect<void>
): Effect.Effect<void> => {
  let closing: Latch | undefined
  const opened = (exit: Exit.Exit<void>) =>
    Effect.sync(() => {
      closing!.open(exit)
    })
  return Effect.uninterruptible(Effect.suspend(() => {
    if (closing !== undefined) return closing.await
    closing = new Latch()
    const w = new Wait<undefined>()
    const body = Effect.flatMap(close(closeDone, w), (st) => {
      if (st !== S.STATUS_PENDING) {
        countClosed(stats, type)
        return Effect.void
      }
      stats.closesPended++
      return Effect.map(w.await(), () => {
        stats.closeCompletionsFired++
        countClosed(stats, type)
      })
    })
    return Effect.onExit(after === undefined ? body : Effect.zipRight(body, after), opened)
  }))
}

// ---------------------------------------------------------------------------------------------------------------
// work-request tracking
// ---------------------------------------------------------------------------------------------------------------

/** What a completed operation resolves with. */
export interface Completion {
  /** the final NTSTATUS of the work request */
  readonly status: number
  /** bytes received (receive completions only) */
  readonly bytesTransferred: number
  /** the caller's own context, when the operation was posted with one */
  readonly context: unknown
}

/**
 * A completion with the `NDK_RESULT_EX` [1.2] fields (SPEC §4.7), on the `resultsEx` stream of an extended CQ.
 */
export interface CompletionEx extends Completion {
  /** `NDK_OPERATION_TYPE` (§2.2): which operation completed (R73) */
  readonly type: number
  /** [2.1] 0 for every successful completion (R163); otherwise a provider diagnostic or 0; 0 below 2.1 */
  readonly providerErrorCode: number
  /** the invalidated token of a `ReceiveAndInvalidate` completion (R94); 0 otherwise */
  readonly typeSpecificOutput: number
}

const toEx = (c: Completion, r: NdkResultEx): CompletionEx => ({
  status: c.status,
  bytesTransferred: c.bytesTransferred,
  context: c.context,
  type: r.Type,
  providerErrorCode: r.ProviderErrorCode,
  typeSpecificOutput: r.TypeSpecificCompletionOutput
})

/** A batch being collected: one resume for many operations. */
export class Batch {
  remaining: number
  readonly results: Array<Completion>
  resume: ((effect: Effect.Effect<ReadonlyArray<Completion>>) => void) | undefined = undefined
  constructor(n: number) {
    this.remaining = n
    this.results = new Array(n)
  }
  /**
   * Waits for the last completion. No canceler (see `waitOn`): an interrupted waiter's resume is spent and the
   * batch completes unseen.
   */
  get wait(): Effect.Effect<ReadonlyArray<Completion>> {
    return this.remaining === 0 ? Effect.succeed(this.results) : Effect.async((resume) => {
      this.resume = resume
    })
  }
  set(index: number, c: Completion): void {
    this.results[index] = c
    if (--this.remaining === 0) {
      const r = this.resume
      this.resume = undefined
      if (r !== undefined) r(Effect.succeed(this.results))
    }
  }
}

/** A receiver of completions that no fiber waits for (a CQ's result stream). */
export interface Sink {
  readonly queue: Queue.Queue<Completion>
  /** an extended CQ's receiver: takes every completion nobody waits for, with its `NDK_RESULT_EX` fields */
  readonly ex?: Queue.Queue<CompletionEx>
  open: boolean
}

/**
 * One posted work request: the `RequestContext` handed to the provider and back in its `NDK_RESULT`. Linked into
 * its owner's list of outstanding operations until its completion arrives.
 */
export class Op {
  prev: Op | undefined = undefined
  next: Op | undefined = undefined
  /** a waiting fiber (per-operation form) */
  resume: ((effect: Effect.Effect<Completion, NdkError.NdkError>) => void) | undefined = undefined
  /** that fiber, when it waits interruptibly (its interruption abandons the wait) */
  waiter: Fiber.RuntimeFiber<unknown, unknown> | undefined = undefined
  batch: Batch | undefined = undefined
  index = 0
  sink: Sink | undefined = undefined
  /** the waiter was interrupted: the completion is dropped when it arrives */
  abandoned = false
  done = false
  result: Completion | undefined = undefined
  constructor(readonly owner: Owner, readonly context: unknown) {}
}

/** Anything work requests are posted to (a QP or an SRQ): its outstanding operations. */
export class Owner {
  head: Op | undefined = undefined
  count = 0
  /** its object's close has started: nothing more is posted to it (R31) */
  closed = false
  constructor(readonly stats: Stats) {}
  add(op: Op): void {
    op.next = this.head
    if (this.head !== undefined) this.head.prev = op
    this.head = op
    this.count++
    this.stats.outstanding++
  }
  remove(op: Op): void {
    if (op.prev !== undefined) op.prev.next = op.next
    else this.head = op.next
    if (op.next !== undefined) op.next.prev = op.prev
    op.prev = undefined
    op.next = undefined
    this.count--
    this.stats.outstanding--
  }
  /** Resolves every operation still tracked with `status` (a failed CQ, or a QP whose flush never reached us). */
  failAll(status: number): number {
    let n = 0
    while (this.head !== undefined) {
      const op = this.head
      this.remove(op)
      finish(this.stats, op, status, 0)
      n++
    }
    return n
  }
}

/**
 * Delivers one completion to its operation's waiter, batch, stream, or drops it (interrupted waiter). `ex` (an
 * extended CQ's dispatcher only) is the polled `NDK_RESULT_EX`, for the sink's extended stream.
 */
export const finish = (stats: Stats, op: Op, status: number, bytes: number, ex?: NdkResultEx): void => {
  op.done = true
  if (status === S.STATUS_CANCELLED) stats.requestsFlushed++
  const c: Completion = { status, bytesTransferred: bytes, context: op.context }
  // kept for any later await of a pre-posted operation, whoever took the completion first
  op.result = c
  if (op.batch !== undefined) {
    op.batch.set(op.index, c)
    return
  }
  const r = op.resume
  if (r !== undefined) {
    op.resume = undefined
    const w = op.waiter
    op.waiter = undefined
    if (w === undefined || !interrupted(w)) {
      r(isSuccess(status) ? Effect.succeed(c) : Effect.fail(toError(status)))
      return
    }
    // the waiter was interrupted meanwhile: its resume is spent (the runtime resumed it with the interruption)
    op.abandoned = true
  }
  if (op.abandoned) {
    stats.abandoned++
    return
  }
  const sink = op.sink
  if (sink !== undefined && sink.open) {
    if (ex !== undefined && sink.ex !== undefined) sink.ex.unsafeOffer(toEx(c, ex))
    else sink.queue.unsafeOffer(c)
  }
}

/** Whether `fiber` was interrupted (its interruptible wait, if any, was ended by the runtime). */
const interrupted = (fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean =>
  !Cause.isEmpty(fiber.getFiberRef(FiberRef.interruptedCause))

/**
 * Records the fiber about to park on `op` when it waits interruptibly. The waits here register no canceler:
 * `Effect.async` with one adds an `onInterrupt` (an uninterruptible mask and a cause match, costing about as much
 * as the resume itself) to every wait. An interruption instead ends the wait inside the runtime, which spends the
 * resume; the completion, when it arrives, finds the waiter interrupted and is dropped (counted as abandoned, see
 * `finish`). The operation stays tracked until then either way.
 */
export const waitOn = (op: Op, fiber: Fiber.RuntimeFiber<unknown, unknown>, flags: RuntimeFlags.RuntimeFlags): void => {
  op.waiter = RuntimeFlags.interruptible(flags) ? fiber : undefined
}

/** Waits for a posted operation (once); interruption leaves it tracked and drops its completion later. */
export const awaitOp = (op: Op): Effect.Effect<Completion, NdkError.NdkError> =>
  Effect.withFiberRuntime((fiber, status) => {
    if (op.done) {
      const c = op.result!
      return isSuccess(c.status) ? Effect.succeed(c) : Effect.fail(toError(c.status))
    }
    waitOn(op, fiber, status.runtimeFlags)
    return Effect.async<Completion, NdkError.NdkError>((resume) => {
      op.resume = resume
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// the CQ dispatcher
// ---------------------------------------------------------------------------------------------------------------

const POLL = 64

/**
 * One per CQ. Runs inside the CQ's notification callback (which the provider serializes per CQ): polls every
 * result, hands each to its operation (resuming the waiting fiber directly), re-arms. A completion written between
 * the last poll and the arm satisfies the arm (SPEC §10.7 rules 3 and 7: no lost wake-ups), so no poll follows.
 */
export class Dispatcher<R extends NdkResult = NdkResult> {
  readonly buffer: Array<R> = new Array(POLL)
  armed = false
  failed = 0
  constructor(
    readonly stats: Stats,
    readonly sink: Sink,
    readonly poll: (results: Array<R>, n: number) => number,
    readonly arm: () => void,
    readonly onFailure: (status: number) => void
  ) {}

  deliver(n: number): void {
    const stats = this.stats
    const b = this.buffer
    stats.completions += n
    for (let i = 0; i < n; i++) {
      const r = b[i]!
      const ctx = r.RequestContext
      if (ctx instanceof Op) {
        ctx.owner.remove(ctx)
        finish(stats, ctx, r.Status >>> 0, r.BytesTransferred, this.extended(r))
      } else if (!this.offer(r, ctx)) {
        stats.strays++
      }
    }
  }

  /** The extended record a waiter's completion carries (a plain CQ has none). */
  protected extended(_r: R): NdkResultEx | undefined {
    return undefined
  }

  /** Hands a completion nobody waits for to the sink's stream; false when nobody can take it (a stray). */
  protected offer(r: R, context: unknown): boolean {
    if (!this.sink.open) return false
    this.sink.queue.unsafeOffer({ status: r.Status >>> 0, bytesTransferred: r.BytesTransferred, context })
    return true
  }

  /** Polls until empty (bounded by the CQ depth: completions come only from posted work requests). */
  drain(): void {
    let n: number
    do {
      n = this.poll(this.buffer, POLL)
      this.deliver(n)
    } while (n === POLL)
  }

  /** The notification callback's body. */
  notified(status: number): void {
    this.armed = false
    this.stats.notifications++
    if (status !== S.STATUS_SUCCESS) {
      this.failed = status
      this.drain()
      this.onFailure(status)
      return
    }
    this.drain()
    // drained to empty, then armed: a completion placed after the last poll satisfies this arm (SPEC §10.7 rules
    // 3 and 7), so no poll after the arm is needed here
    if (this.failed !== 0) return
    this.armed = true
    this.arm()
  }

  /** Arms and polls once more (the first arm: completions may already wait that no notification announced). */
  rearm(): void {
    if (this.failed !== 0) return
    this.armed = true
    this.arm()
    this.drain()
  }
}

/**
 * The dispatcher of an extended CQ: polls with `NdkGetCqResultsEx` [1.2] and hands completions nobody waits for to
 * the sink's extended stream. Waiters and batches resolve exactly as with {@link Dispatcher}; the plain
 * dispatcher's path is untouched.
 */
export class DispatcherEx extends Dispatcher<NdkResultEx> {
  protected override extended(r: NdkResultEx): NdkResultEx {
    return r
  }

  protected override offer(r: NdkResultEx, context: unknown): boolean {
    const sink = this.sink
    if (!sink.open || sink.ex === undefined) return false
    sink.ex.unsafeOffer(toEx({ status: r.Status >>> 0, bytesTransferred: r.BytesTransferred, context }, r))
    return true
  }
}
