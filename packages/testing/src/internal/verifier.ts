/**
 * The invariant checker over an event stream: one pass, constant work per event (apart from the close checks,
 * which look at the closing object's own requests, callbacks and successors).
 *
 * @internal
 */
import * as Catalog from "@effect-ndk/ndkpi/Catalog"
import { isSuccess, NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import type { Event, ObjectTypeName } from "../Event.js"

/** @internal */
export type CheckName =
  | "PENDING_COMPLETES_ONCE"
  | "NO_COMPLETION_UNLESS_PENDING"
  | "CONTEXT_IDENTITY"
  | "CREATE_PENDING_NO_OUT"
  | "CREATED_TYPE_MATCHES"
  | "WR_NEVER_PENDING"
  | "CLOSE_STATUS"
  | "NOTHING_AFTER_CLOSE"
  | "CLOSE_AFTER_REQUESTS"
  | "CLOSE_AFTER_EVENTS"
  | "ANTECEDENT_CLOSES_LAST"
  | "CQ_NOTIFY_SERIAL"
  | "NOTIFY_ONLY_WHEN_ARMED"
  | "NO_EVENT_AFTER_CLOSE_CALL"
  | "DISCONNECT_EVENT_ONCE"
  | "USE_AFTER_CLOSE"
  | "DOUBLE_CLOSE"

/** @internal */
export interface Check {
  readonly name: CheckName
  readonly rules: ReadonlyArray<string>
  readonly category: "provider" | "consumer"
  readonly description: string
}

const check = (
  name: CheckName,
  rules: ReadonlyArray<string>,
  category: "provider" | "consumer",
  description: string
): Check => ({ name, rules, category, description })

/** @internal */
export const checks: ReadonlyArray<Check> = [
  check(
    "PENDING_COMPLETES_ONCE",
    ["R1", "R14"],
    "provider",
    "a call that returned STATUS_PENDING gets exactly one completion callback (a second one is reported at once, a missing one at the end)"
  ),
  check(
    "NO_COMPLETION_UNLESS_PENDING",
    ["R2", "R13"],
    "provider",
    "a call that returned anything but STATUS_PENDING never gets its completion callback"
  ),
  check(
    "CONTEXT_IDENTITY",
    ["R3"],
    "provider",
    "every completion and event callback receives, by identity, the context supplied for it"
  ),
  check(
    "CREATE_PENDING_NO_OUT",
    ["R4"],
    "provider",
    "a create that returns STATUS_PENDING leaves its out-parameter unwritten"
  ),
  check(
    "CREATED_TYPE_MATCHES",
    ["R5"],
    "provider",
    "an object handed out (create out-parameter, create completion, connect event, adapter open) carries the header type of what was created"
  ),
  check("WR_NEVER_PENDING", ["R10"], "provider", "no work-request post returns STATUS_PENDING"),
  check("CLOSE_STATUS", ["R12"], "provider", "NdkCloseObject returns only STATUS_SUCCESS or STATUS_PENDING"),
  check(
    "NOTHING_AFTER_CLOSE",
    ["R13", "R15"],
    "provider",
    "no callback for an object starts after its close returned STATUS_SUCCESS or its close completion started"
  ),
  check(
    "CLOSE_AFTER_REQUESTS",
    ["R16", "R21"],
    "provider",
    "an object closes only after every request pending on it has completed and its completion callback returned"
  ),
  check(
    "CLOSE_AFTER_EVENTS",
    ["R17", "R20"],
    "provider",
    "an object closes only after every event callback running on it (notification, connect, disconnect) returned"
  ),
  check(
    "ANTECEDENT_CLOSES_LAST",
    ["R22", "R23", "R24", "R25", "R26", "R27", "R131"],
    "provider",
    "an antecedent closes (close completion, SUCCESS close, adapter close return) only after each successor's close has completed and its close completion returned"
  ),
  check("CQ_NOTIFY_SERIAL", ["R63"], "provider", "notification callbacks of one CQ never overlap"),
  check(
    "NOTIFY_ONLY_WHEN_ARMED",
    ["R55", "R57"],
    "provider",
    "a CQ notification starts only if NdkArmCq was called on the CQ since its previous notification started (an arm is consumed by the notification it causes)"
  ),
  check(
    "NO_EVENT_AFTER_CLOSE_CALL",
    ["R19", "R130"],
    "provider",
    "no CQ notification starts after NdkCloseCq was called on the CQ, and no connect event after NdkCloseListener was called on the listener"
  ),
  check(
    "DISCONNECT_EVENT_ONCE",
    ["R149"],
    "provider",
    "the disconnect event registered by one NdkCompleteConnect(Ex)/NdkAccept(Ex) is raised at most once"
  ),
  check("USE_AFTER_CLOSE", ["R31"], "consumer", "no function is called on (or names) an object after its close"),
  check("DOUBLE_CLOSE", ["R31"], "consumer", "an object is closed at most once")
]

const checkByName: ReadonlyMap<CheckName, Check> = new Map(checks.map((c) => [c.name, c]))

/** @internal */
export interface ObjectRef {
  readonly id: number
  readonly type: ObjectTypeName | null
}

/** @internal */
export interface Violation {
  readonly check: CheckName
  readonly rules: ReadonlyArray<string>
  readonly category: "provider" | "consumer"
  readonly message: string
  readonly objects: ReadonlyArray<ObjectRef>
  /** The few events that show the violation, in log order. */
  readonly excerpt: ReadonlyArray<Event>
  /** Seq of the event at which the violation was detected (-1: at the end of the log). */
  readonly at: number
}

/** @internal */
export interface Verifier {
  readonly feed: (event: Event) => ReadonlyArray<Violation>
  readonly finish: () => ReadonlyArray<Violation>
  readonly violations: ReadonlyArray<Violation>
  readonly first: () => Violation | undefined
}

interface ObjectState {
  readonly id: number
  type: ObjectTypeName | null
  adapter: number
  closeCall: Event | undefined
  /** From this event on, no callback may start for the object. */
  closedBy: Event | undefined
  /** The close is complete, close completion returned included. */
  fullyClosed: Event | undefined
  /** requests on the object that may still hold its close (pruned once finished) */
  readonly requests: Set<number>
  readonly running: Map<number, Event>
  /** successor id → the event that formed the edge */
  readonly successors: Map<number, ReadonlyArray<Event>>
  /** CQ: the NdkArmCq call that armed it since its last notification started */
  armedBy: Event | undefined
  lastNotification: Event | undefined
}

interface Request {
  readonly call: Event
  ret: Event | undefined
  readonly starts: Array<Event>
  end: Event | undefined
}

const functionOf: ReadonlyMap<string, Catalog.FunctionType> = new Map(
  Catalog.functionTypes.flatMap((f) => f.members.map((m) => [`${m.table}.${m.member}`, f] as const))
)

const completionNames: ReadonlySet<string> = new Set([
  "NdkCreateCompletion",
  "NdkRequestCompletion",
  "NdkCloseCompletion"
])
const connectNames: ReadonlySet<string> = new Set([
  "NdkConnect",
  "NdkConnectWithSharedEndpoint",
  "NdkAccept",
  "NdkAcceptEx"
])

const { STATUS_PENDING, STATUS_SUCCESS } = NtStatus

/** the object type each creating call hands out */
const createdBy: Readonly<Record<string, ObjectTypeName | undefined>> = {
  OpenNdkAdapter: "Adapter",
  NdkCreateCq: "Cq",
  NdkCreatePd: "Pd",
  NdkCreateSharedEndpoint: "SharedEndpoint",
  NdkCreateConnector: "Connector",
  NdkCreateListener: "Listener",
  NdkCreateMr: "Mr",
  NdkCreateMw: "Mw",
  NdkCreateSrq: "Srq",
  NdkCreateQp: "Qp",
  NdkCreateQpWithSrq: "Qp"
}

const hex = (status: number | undefined): string =>
  status === undefined ? "none" : `0x${(status >>> 0).toString(16).padStart(8, "0")}`

/** @internal */
export const make = (options?: { readonly onViolation?: (violation: Violation) => void }): Verifier => {
  const events = new Map<number, Event>()
  const objects = new Map<number, ObjectState>()
  const requests = new Map<number, Request>()
  /** registration call seq → the first disconnect event raised for it */
  const disconnects = new Map<number, Event>()
  const violations: Array<Violation> = []
  let finished = false

  const objectOf = (id: number, type: ObjectTypeName | null): ObjectState => {
    let state = objects.get(id)
    if (state === undefined) {
      state = {
        id,
        type,
        adapter: type === "Adapter" ? id : 0,
        closeCall: undefined,
        closedBy: undefined,
        fullyClosed: undefined,
        requests: new Set(),
        running: new Map(),
        successors: new Map(),
        armedBy: undefined,
        lastNotification: undefined
      }
      objects.set(id, state)
    } else if (state.type === null && type !== null) {
      state.type = type
    }
    return state
  }

  const ref = (state: ObjectState): ObjectRef => ({ id: state.id, type: state.type })

  const report = (
    found: Array<Violation>,
    name: CheckName,
    at: number,
    message: string,
    objs: ReadonlyArray<ObjectState>,
    excerpt: ReadonlyArray<Event | undefined>
  ): void => {
    const c = checkByName.get(name)!
    const unique = new Map<number, Event>()
    for (const e of excerpt) if (e !== undefined) unique.set(e.seq, e)
    const v: Violation = {
      check: name,
      rules: c.rules,
      category: c.category,
      message,
      objects: objs.map(ref),
      excerpt: [...unique.values()].sort((a, b) => a.seq - b.seq),
      at
    }
    violations.push(v)
    found.push(v)
    options?.onViolation?.(v)
  }

  const isCloseCall = (e: Event): boolean =>
    e.fn === "CloseNdkAdapter" || functionOf.get(`${e.type}.${e.fn}`)?.fnType === "NDK_FN_CLOSE_OBJECT"

  const addEdge = (antecedent: number, successor: number, ...by: ReadonlyArray<Event>): void => {
    const a = objects.get(antecedent)
    if (a !== undefined && antecedent !== successor) a.successors.set(successor, by)
  }

  const adoptObject = (parent: ObjectState, id: number, type: ObjectTypeName | undefined, by: Event) => {
    const child = objectOf(id, type ?? null)
    child.adapter = parent.adapter
    addEdge(parent.id, id, by)
    return child
  }

  /** The object became closed (no callback may start from here); checks everything that had to happen first. */
  const closing = (found: Array<Violation>, state: ObjectState, at: Event): void => {
    for (const seq of state.requests) {
      const r = requests.get(seq)!
      const outstanding = (r.starts.length > 0 && r.end === undefined) ||
        (r.starts.length === 0 && r.ret?.status === STATUS_PENDING)
      if (outstanding) {
        report(
          found,
          "CLOSE_AFTER_REQUESTS",
          at.seq,
          `${state.type}#${state.id} closed while its ${r.call.fn} (call #${r.call.seq}) ${
            r.starts.length > 0 ? "completion callback was still running" : "was still pending"
          }`,
          [state],
          [r.call, r.ret, r.starts[0], state.closeCall, at]
        )
      }
    }
    for (const start of state.running.values()) {
      if (!completionNames.has(start.fn)) {
        report(
          found,
          "CLOSE_AFTER_EVENTS",
          at.seq,
          `${state.type}#${state.id} closed while its ${start.fn} (#${start.seq}) was still running`,
          [state],
          [start, state.closeCall, at]
        )
      }
    }
    for (const [id, by] of state.successors) {
      const s = objects.get(id)!
      if (s.fullyClosed === undefined) {
        const closeStart = [...s.running.values()].find((e) => e.fn === "NdkCloseCompletion")
        report(
          found,
          "ANTECEDENT_CLOSES_LAST",
          at.seq,
          `${state.type}#${state.id} closed before its successor ${s.type}#${s.id} ${
            closeStart !== undefined
              ? "returned from its close completion"
              : s.closeCall !== undefined
              ? "finished closing"
              : "was closed"
          }`,
          [state, s],
          [...by, s.closeCall, closeStart, state.closeCall, at]
        )
      }
    }
    state.closedBy ??= at
  }

  const formEdges = (call: Event, connector: number | undefined) => {
    if (connector === undefined || call.refs === undefined) return
    if (call.refs.Qp !== undefined) addEdge(call.refs.Qp, connector, call)
    if (call.refs.SharedEndpoint !== undefined) addEdge(call.refs.SharedEndpoint, connector, call)
  }

  const onCall = (found: Array<Violation>, e: Event): void => {
    if (e.fn === "OpenNdkAdapter") return
    const state = objectOf(e.object, e.type)
    const closeCall = isCloseCall(e)
    if (state.closeCall !== undefined) {
      report(
        found,
        closeCall ? "DOUBLE_CLOSE" : "USE_AFTER_CLOSE",
        e.seq,
        closeCall
          ? `${state.type}#${state.id} closed twice`
          : `${e.fn} called on ${state.type}#${state.id} after its close`,
        [state],
        [state.closeCall, e]
      )
    }
    if (e.refs !== undefined) {
      for (const [role, id] of Object.entries(e.refs)) {
        const other = objects.get(id)
        if (other?.closeCall !== undefined) {
          report(
            found,
            "USE_AFTER_CLOSE",
            e.seq,
            `${e.fn} on ${state.type}#${state.id} names ${other.type}#${other.id} (${role}) after its close`,
            [state, other],
            [other.closeCall, e]
          )
        }
      }
    }
    if (closeCall) state.closeCall ??= e
    if (e.fn === "NdkArmCq" && e.type === "Cq") state.armedBy = e
    const f = functionOf.get(`${e.type}.${e.fn}`)
    if (f?.completion != null) {
      requests.set(e.seq, { call: e, ret: undefined, starts: [], end: undefined })
      if (!closeCall) state.requests.add(e.seq)
    }
  }

  /** R5: the header type of a handed-out object is the type the call creates */
  const checkCreatedType = (found: Array<Violation>, e: Event, call: Event | undefined): void => {
    if (e.created === undefined) return
    const expected = e.fn === "NdkConnectEventCallback"
      ? "Connector"
      : call === undefined
      ? undefined
      : createdBy[call.fn]
    if (expected !== undefined && e.createdType !== expected) {
      const state = objectOf(e.created, e.createdType ?? null)
      report(
        found,
        "CREATED_TYPE_MATCHES",
        e.seq,
        `${call?.fn ?? e.fn} handed out ${e.createdType}#${e.created}, expected a ${expected}`,
        [state],
        [call, e]
      )
    }
  }

  const onReturn = (found: Array<Violation>, e: Event): void => {
    const call = e.link === undefined ? undefined : events.get(e.link)
    checkCreatedType(found, e, call)
    if (e.fn === "OpenNdkAdapter") {
      if (e.created !== undefined) objectOf(e.created, e.createdType ?? "Adapter").adapter = e.created
      return
    }
    const state = objectOf(e.object, e.type)
    if (e.fn === "CloseNdkAdapter") {
      closing(found, state, e)
      for (const other of objects.values()) {
        if (other.adapter !== state.id || other.id === state.id) continue
        for (const start of other.running.values()) {
          report(
            found,
            "ANTECEDENT_CLOSES_LAST",
            e.seq,
            `CloseNdkAdapter of Adapter#${state.id} returned while ${start.fn} of ${other.type}#${other.id} was running`,
            [state, other],
            [start, call, e]
          )
        }
      }
      state.fullyClosed ??= e
      return
    }
    const f = functionOf.get(`${e.type}.${e.fn}`)
    const r = e.link === undefined ? undefined : requests.get(e.link)
    if (r !== undefined) {
      r.ret = e
      // finished without a completion: it can no longer hold a close
      if (e.status !== STATUS_PENDING && r.starts.length === 0) state.requests.delete(r.call.seq)
      if (e.status !== STATUS_PENDING && r.starts.length > 0) {
        report(
          found,
          "NO_COMPLETION_UNLESS_PENDING",
          e.seq,
          `${e.fn} on ${state.type}#${state.id} returned ${hex(e.status)} but its completion callback was invoked`,
          [state],
          [r.call, r.starts[0], e]
        )
      }
    }
    if (f?.kind === "WR" && e.status === STATUS_PENDING) {
      report(
        found,
        "WR_NEVER_PENDING",
        e.seq,
        `work request ${e.fn} on ${state.type}#${state.id} returned STATUS_PENDING`,
        [state],
        [call, e]
      )
    }
    if (e.created !== undefined && e.status === STATUS_PENDING) {
      report(
        found,
        "CREATE_PENDING_NO_OUT",
        e.seq,
        `${e.fn} returned STATUS_PENDING and wrote ${e.createdType}#${e.created} to its out-parameter`,
        [state],
        [call, e]
      )
    }
    if (f?.fnType === "NDK_FN_CLOSE_OBJECT") {
      if (e.status !== STATUS_SUCCESS && e.status !== STATUS_PENDING) {
        report(
          found,
          "CLOSE_STATUS",
          e.seq,
          `${e.fn} on ${state.type}#${state.id} returned ${hex(e.status)}`,
          [state],
          [call, e]
        )
      } else if (e.status === STATUS_SUCCESS) {
        closing(found, state, e)
        state.fullyClosed ??= e
      }
      return
    }
    if (e.status !== STATUS_SUCCESS || call === undefined) return
    if (e.created !== undefined) {
      adoptObject(state, e.created, e.createdType, e)
      if (call.refs !== undefined) {
        for (const role of ["ReceiveCq", "InitiatorCq", "Srq"]) {
          const id = call.refs[role]
          if (id !== undefined) addEdge(id, e.created, call, e)
        }
      }
    }
    if (connectNames.has(e.fn)) formEdges(call, e.object)
    if (e.fn === "NdkBind" && call.refs?.Mr !== undefined && call.refs.Mw !== undefined) {
      addEdge(call.refs.Mr, call.refs.Mw, call)
    }
    if (e.fn === "NdkInvalidate" && call.refs?.Target !== undefined) {
      const target = call.refs.Target
      if (objects.get(target)?.type === "Mw") {
        for (const other of objects.values()) if (other.type === "Mr") other.successors.delete(target)
      }
    }
  }

  const onStart = (found: Array<Violation>, e: Event): void => {
    const state = objectOf(e.object, e.type)
    const call = e.link === undefined ? undefined : events.get(e.link)
    checkCreatedType(found, e, call)
    let paired = false
    if (completionNames.has(e.fn)) {
      const r = e.link === undefined ? undefined : requests.get(e.link)
      if (r !== undefined) {
        if (r.starts.length > 0) {
          paired = true
          report(
            found,
            "PENDING_COMPLETES_ONCE",
            e.seq,
            `${r.call.fn} on ${state.type}#${state.id} (call #${r.call.seq}) completed twice`,
            [state],
            [r.call, r.ret, r.starts[0], e]
          )
        } else if (r.ret !== undefined && r.ret.status !== STATUS_PENDING) {
          paired = true
          report(
            found,
            "NO_COMPLETION_UNLESS_PENDING",
            e.seq,
            `${r.call.fn} on ${state.type}#${state.id} returned ${hex(r.ret.status)}, yet its ${e.fn} was invoked`,
            [state],
            [r.call, r.ret, e]
          )
        }
        if (e.ctx !== r.call.ctx) {
          report(
            found,
            "CONTEXT_IDENTITY",
            e.seq,
            `${e.fn} of ${r.call.fn} got context #${e.ctx}, supplied #${r.call.ctx}`,
            [state],
            [r.call, e]
          )
        }
        r.starts.push(e)
      }
    } else if (call !== undefined && e.ctx !== call.eventCtx) {
      report(
        found,
        "CONTEXT_IDENTITY",
        e.seq,
        `${e.fn} on ${state.type}#${state.id} got context #${e.ctx}, registered #${call.eventCtx}`,
        [state],
        [call, e]
      )
    }
    if (!paired && state.closedBy !== undefined) {
      report(
        found,
        "NOTHING_AFTER_CLOSE",
        e.seq,
        `${e.fn} for ${state.type}#${state.id} started after the object was closed`,
        [state],
        [state.closeCall, state.closedBy, e]
      )
    }
    if (e.fn === "NdkCqNotificationCallback") {
      for (const other of state.running.values()) {
        if (other.fn === "NdkCqNotificationCallback") {
          report(
            found,
            "CQ_NOTIFY_SERIAL",
            e.seq,
            `a notification of ${state.type}#${state.id} started while another (#${other.seq}) was running`,
            [state],
            [other, e]
          )
        }
      }
      if (state.armedBy === undefined) {
        report(
          found,
          "NOTIFY_ONLY_WHEN_ARMED",
          e.seq,
          `a notification of ${state.type}#${state.id} started without an NdkArmCq since ${
            state.lastNotification === undefined
              ? "the CQ was created"
              : `the previous one (#${state.lastNotification.seq})`
          }`,
          [state],
          [state.lastNotification, e]
        )
      }
      state.armedBy = undefined
      state.lastNotification = e
    }
    if (
      (e.fn === "NdkCqNotificationCallback" || e.fn === "NdkConnectEventCallback") &&
      state.closeCall !== undefined && state.closedBy === undefined
    ) {
      report(
        found,
        "NO_EVENT_AFTER_CLOSE_CALL",
        e.seq,
        `${e.fn} of ${state.type}#${state.id} started after its close was called`,
        [state],
        [state.closeCall, e]
      )
    }
    if (
      (e.fn === "NdkDisconnectEventCallback" || e.fn === "NdkDisconnectEventCallbackEx") && e.link !== undefined
    ) {
      const earlier = disconnects.get(e.link)
      if (earlier !== undefined) {
        report(
          found,
          "DISCONNECT_EVENT_ONCE",
          e.seq,
          `a second disconnect event for ${state.type}#${state.id} (first #${earlier.seq})`,
          [state],
          [call, earlier, e]
        )
      } else {
        disconnects.set(e.link, e)
      }
    }
    // edges formed by callbacks
    if (e.created !== undefined && (e.fn === "NdkConnectEventCallback" || isSuccess(e.status ?? 0))) {
      const child = adoptObject(state, e.created, e.createdType, e)
      if (e.fn === "NdkCreateCompletion" && call?.refs !== undefined) {
        for (const role of ["ReceiveCq", "InitiatorCq", "Srq"]) {
          const id = call.refs[role]
          if (id !== undefined) addEdge(id, child.id, call, e)
        }
      }
    }
    if (
      e.fn === "NdkRequestCompletion" && call !== undefined && connectNames.has(call.fn) &&
      e.status === STATUS_SUCCESS
    ) {
      formEdges(call, call.object)
    }
    if (e.fn === "NdkCloseCompletion" && !paired) closing(found, state, e)
    state.running.set(e.seq, e)
  }

  const onEnd = (e: Event): void => {
    const start = e.link === undefined ? undefined : events.get(e.link)
    if (start === undefined) return
    const state = objectOf(start.object, start.type)
    state.running.delete(start.seq)
    if (completionNames.has(start.fn) && start.link !== undefined) {
      const r = requests.get(start.link)
      if (r !== undefined) {
        r.end ??= e
        state.requests.delete(r.call.seq)
      }
      if (start.fn === "NdkCloseCompletion") state.fullyClosed ??= e
    }
  }

  const feed = (e: Event): ReadonlyArray<Violation> => {
    const found: Array<Violation> = []
    events.set(e.seq, e)
    switch (e.kind) {
      case "call":
        onCall(found, e)
        break
      case "return":
        onReturn(found, e)
        break
      case "start":
        onStart(found, e)
        break
      case "end":
        onEnd(e)
        break
    }
    return found
  }

  const finish = (): ReadonlyArray<Violation> => {
    if (!finished) {
      finished = true
      const found: Array<Violation> = []
      for (const r of requests.values()) {
        if (r.ret?.status === STATUS_PENDING && r.starts.length === 0) {
          const state = objects.get(r.call.object)!
          report(
            found,
            "PENDING_COMPLETES_ONCE",
            -1,
            `${r.call.fn} on ${state.type}#${state.id} (call #${r.call.seq}) returned STATUS_PENDING and never completed`,
            [state],
            [r.call, r.ret]
          )
        }
      }
    }
    return violations
  }

  return { feed, finish, violations, first: () => violations[0] }
}
