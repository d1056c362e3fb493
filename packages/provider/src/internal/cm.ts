/**
 * The connection manager of one host: a small handshake protocol carried in the NIC's management datagrams
 * (`Nic.sendMad` / `Nic.onMad`), in the spirit of the InfiniBand CM (REQ / MRA / REP / RTU / REJ, then DREQ /
 * DREP for the NetworkDirect disconnect scheme, SPEC.md §9.8, §9.10).
 *
 * MADs are datagrams: the fabric may lose, duplicate or reorder them. Every message that expects an answer is
 * retransmitted on the Clock until answered or until its retry budget runs out; receivers are idempotent
 * (duplicate REQs are recognised by (sender address, sender connection id); a message for a connection that
 * no longer exists is answered statelessly: REJ for establishment messages, DREP for DREQ).
 *
 * The manager owns no NDK object: the connector / listener layer implements {@link ConnHandler} and
 * {@link Acceptor}. Timers are one fiber each, forked into the manager's FiberSet (connection control plane
 * only; never per work request).
 *
 * @internal
 */
import type { Nic } from "@effect-ndk/hardware/Nic"
import { NicCode } from "@effect-ndk/hardware/NicCode"
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import type { EndpointRegistry } from "./endpoints.js"
import { ipKey, registryOf, wildcardKey } from "./endpoints.js"
import { Wakeable } from "./wakeable.js"

// ---------------------------------------------------------------------------------------------------------------
// wire format

/** Message types. */
export const Msg = {
  REQ: 1,
  /** message receipt acknowledgement: the REQ reached a listener and was handed to the consumer */
  MRA: 2,
  REP: 3,
  RTU: 4,
  REJ: 5,
  /** graceful disconnect notification (DREQ) */
  DREQ: 6,
  /** acknowledgement of a DREQ or ABORT */
  DREP: 7,
  /** abortive disconnect (connector closed while connected) */
  ABORT: 8
} as const

/** REJ reasons. */
export const Reason = {
  NO_LISTENER: 1,
  CONSUMER_REJECT: 2,
  /** the sender abandoned establishment (connector closed / cancelled) */
  ABANDONED: 3,
  /** the sender timed out */
  TIMEOUT: 4,
  /** the message names a connection the receiver does not know */
  STALE: 5,
  BACKLOG: 6
} as const

/** A decoded message. */
export interface Message {
  readonly type: number
  /** connection id at the sender */
  readonly srcConn: number
  /** connection id at the receiver (0 in a REQ) */
  readonly dstConn: number
  readonly qpn: number
  readonly ird: number
  readonly ord: number
  readonly reason: number
  readonly family: 2 | 23
  readonly srcPort: number
  readonly dstPort: number
  readonly srcIp: string
  readonly dstIp: string
  readonly data: Uint8Array
}

const DEVICE_REMOVED: number = NicCode.DEVICE_REMOVED

/** Fixed header bytes before the variable part. */
const FIXED = 25

const enc = new TextEncoder()
const dec = new TextDecoder()

/** Bytes a REQ with two IPv6 addresses spends before the private data (the worst case). */
export const REQ_OVERHEAD = FIXED + 3 + 2 * 45

/** Encoded IP texts (a host talks to few addresses; the cache is cleared if it ever grows large). */
const ipBytes = new Map<string, Uint8Array>()
const ipText = (ip: string): Uint8Array => {
  let b = ipBytes.get(ip)
  if (b === undefined) {
    if (ipBytes.size >= 4096) ipBytes.clear()
    b = enc.encode(ip)
    ipBytes.set(ip, b)
  }
  return b
}

/** Encodes a message (the caller keeps private data within the adapter limits). */
export const encode = (m: Partial<Message> & { readonly type: number }): Uint8Array => {
  const src = ipText(m.srcIp ?? "")
  const dst = ipText(m.dstIp ?? "")
  const data = m.data ?? new Uint8Array(0)
  const out = new Uint8Array(FIXED + 3 + src.length + dst.length + data.length)
  const v = new DataView(out.buffer)
  v.setUint8(0, m.type)
  v.setUint8(1, 1)
  v.setUint32(2, m.srcConn ?? 0)
  v.setUint32(6, m.dstConn ?? 0)
  v.setUint32(10, m.qpn ?? 0)
  v.setUint16(14, Math.min(m.ird ?? 0, 0xffff))
  v.setUint16(16, Math.min(m.ord ?? 0, 0xffff))
  v.setUint16(18, m.reason ?? 0)
  v.setUint8(20, m.family ?? 2)
  v.setUint16(21, m.srcPort ?? 0)
  v.setUint16(23, m.dstPort ?? 0)
  let o = FIXED
  out[o++] = src.length
  out.set(src, o)
  o += src.length
  out[o++] = dst.length
  out.set(dst, o)
  o += dst.length
  out[o++] = data.length
  out.set(data, o)
  return out
}

/** Decodes a message; `undefined` for a malformed or foreign datagram (dropped). */
export const decode = (b: Uint8Array): Message | undefined => {
  if (b.length < FIXED + 3) return undefined
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const type = v.getUint8(0)
  if (type < Msg.REQ || type > Msg.ABORT || v.getUint8(1) !== 1) return undefined
  const family = v.getUint8(20)
  if (family !== 2 && family !== 23) return undefined
  let o = FIXED
  const sl = b[o++]!
  if (o + sl > b.length) return undefined
  const srcIp = dec.decode(b.subarray(o, o + sl))
  o += sl
  const dl = b[o++]!
  if (o + dl >= b.length) return undefined
  const dstIp = dec.decode(b.subarray(o, o + dl))
  o += dl
  const pl = b[o++]!
  if (o + pl !== b.length) return undefined
  return {
    type,
    srcConn: v.getUint32(2),
    dstConn: v.getUint32(6),
    qpn: v.getUint32(10),
    ird: v.getUint16(14),
    ord: v.getUint16(16),
    reason: v.getUint16(18),
    family,
    srcPort: v.getUint16(21),
    dstPort: v.getUint16(23),
    srcIp,
    dstIp,
    data: b.slice(o, o + pl)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// configuration

/** Timeouts of the connection manager (virtual milliseconds). */
export interface CmConfig {
  /** retransmission interval of an unanswered MAD */
  readonly retryMs: number
  /** sends of an unanswered MAD before giving up (REQ: host unreachable; DREQ: disconnect timeout) */
  readonly retries: number
  /** active side: REQ acknowledged (MRA) but no REP/REJ within this time ⇒ `STATUS_IO_TIMEOUT` */
  readonly connectTimeoutMs: number
  /** passive side: REP sent but no RTU within this time ⇒ accept fails `STATUS_IO_TIMEOUT` */
  readonly acceptTimeoutMs: number
  /** active side: REP received but `NdkCompleteConnect` not called within this time ⇒ abandoned */
  readonly completeTimeoutMs: number
  /** `NdkDisconnect`: the peer's graceful notification not received within this time ⇒ `STATUS_IO_TIMEOUT` */
  readonly disconnectTimeoutMs: number
  /**
   * incoming requests delivered to a listener (connect event raised or queued) and not yet accepted, rejected or
   * closed, beyond which REQs are refused (`REJ` backlog ⇒ `STATUS_CONNECTION_REFUSED` at the requester, §9.4)
   */
  readonly backlog: number
  /** report `STATUS_CONNECTION_REFUSED` instead of `STATUS_CONNECTION_ABORTED` for an active reject (R142) */
  readonly activeRejectRefused: boolean
}

/** Defaults: a few retransmissions at 50 ms; "long" consumer-facing timeouts (SPEC.md §9.4). */
export const defaultCmConfig: CmConfig = {
  retryMs: 50,
  retries: 6,
  connectTimeoutMs: 30_000,
  acceptTimeoutMs: 30_000,
  completeTimeoutMs: 60_000,
  disconnectTimeoutMs: 30_000,
  backlog: 128,
  activeRejectRefused: false
}

// ---------------------------------------------------------------------------------------------------------------
// the manager

/** The connector side of one connection (active or passive). */
export interface ConnHandler {
  /** a message addressed to this connection */
  readonly onMessage: (m: Message, from: number) => void
  /** the NIC was reset / surprise-removed: pending requests fail, connections are over */
  readonly onRemoved?: () => void
}

/** The listener side of an endpoint: receives new (non-duplicate) REQs. */
export interface Acceptor {
  readonly onRequest: (m: Message, from: number) => void
}

/** A one-shot timer (one fiber); `cancel` is idempotent. */
export interface Timer {
  readonly cancel: () => void
}

interface TimerEntry {
  readonly at: number
  readonly seq: number
  f: (() => void) | undefined
}

const before = (x: TimerEntry, y: TimerEntry): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq)

/**
 * The manager's timers: a binary min-heap by (deadline, order set); cancelled entries are dropped lazily (and
 * always from the top before a sleep: no sleeper waits for a cancelled deadline). One sleeper fiber waits for the
 * earliest live deadline; one replaced by an earlier deadline is interrupted, so at most one sleeper per host is
 * ever alive (a long timeout cancelled right away does not leave its sleeper behind for the timeout's length).
 */
export class TimerHeap {
  private heap: Array<TimerEntry> = []
  private seq = 0
  private live = 0
  /** the earliest deadline a sleeper fiber waits for (Infinity: none) */
  private sleeperAt = Infinity
  /** that sleeper */
  private sleeper: Fiber.RuntimeFiber<void, never> | undefined = undefined
  constructor(
    readonly clock: Clock.Clock,
    readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>
  ) {}

  add(ms: number, f: () => void): Timer {
    const e: TimerEntry = { at: this.clock.unsafeCurrentTimeMillis() + ms, seq: this.seq++, f }
    this.push(e)
    this.live++
    if (e.at < this.sleeperAt) this.sleep(e.at)
    return {
      cancel: () => {
        if (e.f === undefined) return
        e.f = undefined
        this.live--
        if (this.heap.length > 64 && this.live * 2 < this.heap.length) this.compact()
      }
    }
  }

  private sleep(at: number): void {
    const old = this.sleeper
    this.sleeperAt = at
    const delay = Math.max(0, at - this.clock.unsafeCurrentTimeMillis())
    this.sleeper = this.runFork(Effect.zipRight(Effect.sleep(Duration.millis(delay)), Effect.sync(() => this.fire(at))))
    if (old !== undefined) old.unsafeInterruptAsFork(old.id())
  }

  private fire(at: number): void {
    if (this.sleeperAt !== at) return // replaced by an earlier sleeper, which handles everything due
    this.sleeperAt = Infinity
    this.sleeper = undefined
    // the sleeper for `at` woke, so `at` has come: the clock may read a hair earlier (the sleep's duration is
    // rounded to whole nanoseconds), and a deadline left for a re-sleep of under a nanosecond would sleep zero
    // time and wake at the same reading again, for ever
    const now = Math.max(this.clock.unsafeCurrentTimeMillis(), at)
    const h = this.heap
    while (h.length > 0 && h[0]!.at <= now) {
      const e = this.pop()
      const f = e.f
      if (f === undefined) continue
      e.f = undefined
      this.live--
      f()
    }
    // no sleeper for cancelled deadlines
    while (h.length > 0 && h[0]!.f === undefined) this.pop()
    if (h.length > 0 && h[0]!.at < this.sleeperAt) this.sleep(h[0]!.at)
  }

  private compact(): void {
    const keep = this.heap.filter((e) => e.f !== undefined)
    keep.sort((x, y) => before(x, y) ? -1 : before(y, x) ? 1 : 0)
    this.heap = keep
  }

  private push(e: TimerEntry): void {
    const h = this.heap
    let i = h.length
    h.push(e)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(e, h[p]!)) break
      h[i] = h[p]!
      i = p
    }
    h[i] = e
  }

  private pop(): TimerEntry {
    const h = this.heap
    const top = h[0]!
    const last = h.pop()!
    const n = h.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && before(h[r]!, h[l]!) ? r : l
        if (!before(h[c]!, last)) break
        h[i] = h[c]!
        i = c
      }
      h[i] = last
    }
    return top
  }
}

/**
 * The delivery fiber of a host's connection side: one long-lived fiber runs the queued deliveries in order (no
 * fiber per callback). It starts with the first delivery, parks while nothing is queued and is resumed directly
 * (one scheduler hop) by the next; a resumed or newly started fiber runs only after the queuing caller yields, so
 * a delivery never runs inside the provider call that queued it. A delivery that fails or dies is logged and
 * the queue goes on (the kernel already contains consumer callbacks; this guards the provider's own steps).
 *
 * The fiber is marked as callback context for its whole life, so a consumer callback queued here needs no
 * `asCallback` of its own (see {@link HostCm.fork}).
 *
 * Consumer callbacks run at DISPATCH level (SPEC.md §7): they must not wait. One that waited for another
 * connection callback of the same host would wait forever here, as a blocking DPC would on a real host.
 */
class Delivery {
  private queue: Array<Effect.Effect<void>> = []
  private head = 0

  constructor(readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>) {}

  push(effect: Effect.Effect<void>): void {
    this.queue.push(effect)
    this.worker.wake()
  }

  private next(): Effect.Effect<void> {
    const q = this.queue
    if (this.head >= q.length) {
      if (this.head > 0) {
        this.queue = []
        this.head = 0
      }
      return this.worker.park
    }
    const effect = q[this.head]!
    q[this.head++] = Effect.void
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head)
      this.head = 0
    }
    return Effect.zipRight(Effect.catchAllCause(effect, this.contain), this.step)
  }

  private readonly contain = (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
    Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError("provider: connection delivery failed", cause)

  private readonly step: Effect.Effect<void> = Effect.suspend(() => this.next())

  /** the delivery fiber (callback context for its whole life, R39/R47 checks, instead of per callback) */
  private readonly worker = new Wakeable(
    (effect) => this.runFork(effect),
    this.step,
    () => this.head < this.queue.length
  )
}

/**
 * The connection manager of one host.
 */
export class HostCm {
  readonly conns = new Map<number, ConnHandler>()
  /** passive connections by `${fromAddress}|${remoteConnId}` (REQ de-duplication) */
  readonly passiveByRemote = new Map<string, number>()
  /** acceptors by endpoint key */
  readonly acceptors = new Map<string, Acceptor>()
  private nextConn = 1
  config: CmConfig = defaultCmConfig
  /** the NIC reported DEVICE_REMOVED (reset / surprise removal) */
  removed = false

  constructor(
    readonly nic: Nic,
    readonly registry: EndpointRegistry,
    readonly runFork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>,
    readonly clock: Clock.Clock
  ) {
    this.timers = new TimerHeap(clock, runFork)
    this.delivery = new Delivery(runFork)
  }

  private readonly timers: TimerHeap
  private readonly delivery: Delivery

  get address(): number {
    return this.nic.address
  }

  /** A new connection id (never 0). */
  allocConn(h: ConnHandler): number {
    let id = this.nextConn
    this.nextConn = (this.nextConn % 0x7fffffff) + 1
    while (this.conns.has(id)) {
      id = this.nextConn
      this.nextConn = (this.nextConn % 0x7fffffff) + 1
    }
    this.conns.set(id, h)
    return id
  }

  freeConn(id: number): void {
    this.conns.delete(id)
  }

  /**
   * Forgets a passive connection's REQ key after a grace period (retransmitted REQs of a finished request are
   * answered with a stale reject instead of raising a new connect event).
   */
  retire(key: string, id: number): void {
    if (this.passiveByRemote.get(key) !== id) return
    this.passiveByRemote.set(key, 0)
    this.timer(this.config.retryMs * (this.config.retries + 2), () => {
      if (this.passiveByRemote.get(key) === 0) this.passiveByRemote.delete(key)
    })
  }

  /** Whether the NIC is gone (checked by every request that would need the network). */
  isRemoved(): boolean {
    if (!this.removed && this.nic.stats().removed) this.noteRemoved()
    return this.removed
  }

  private noteRemoved(): void {
    if (this.removed) return
    this.removed = true
    for (const h of Array.from(this.conns.values())) h.onRemoved?.()
  }

  private sent(code: number): number {
    if (code === DEVICE_REMOVED) this.noteRemoved()
    return code
  }

  /** Sends one MAD (fire and forget; loss is handled by the caller's retransmission). */
  send(to: number, m: Partial<Message> & { readonly type: number }): number {
    return this.sent(this.nic.sendMad(to, encode(m)))
  }

  /**
   * Runs `f` after `ms` virtual milliseconds (Clock time), unless cancelled first. Timers share one deadline heap:
   * a sleeper fiber is forked only when a timer is due before every sleeper already waiting, so the many
   * short-lived protocol timers of a connection (retransmissions, timeouts cancelled by the answer) cost no fiber
   * each. Timers due at the same instant run in the order they were set.
   */
  timer(ms: number, f: () => void): Timer {
    return this.timers.add(ms, f)
  }

  /**
   * Sends `m` to `to` now and every `retryMs` until `cancel`, `retries` sends in all; then runs `exhausted`.
   */
  reliable(to: number, m: Partial<Message> & { readonly type: number }, exhausted: () => void): Timer {
    const bytes = encode(m)
    let left = this.config.retries
    let current: Timer | undefined
    let stopped = false
    const shot = () => {
      if (stopped) return
      this.sent(this.nic.sendMad(to, bytes))
      if (stopped) return
      left--
      current = this.timer(this.config.retryMs, () => {
        if (stopped) return
        if (left > 0) shot()
        else {
          stopped = true
          exhausted()
        }
      })
    }
    shot()
    return {
      cancel: () => {
        stopped = true
        current?.cancel()
      }
    }
  }

  /**
   * Queues an Effect (a callback delivery: a connect or disconnect event, a request completion, a settle or
   * close the connection side owes the kernel) for the host's delivery fiber. Deliveries run in the order
   * queued, one at a time, and never inside the provider call that queued them (R168, SPEC.md §8.10). They run
   * in callback context (the R39/R47 checks of `asCallback`) without a per-callback `FiberRef` change.
   */
  fork(effect: Effect.Effect<void>): void {
    this.delivery.push(effect)
  }

  /** The MAD handler installed on the NIC. */
  onMad(from: number, bytes: Uint8Array): void {
    const m = decode(bytes)
    if (m === undefined) return
    if (m.type === Msg.REQ) {
      const dupKey = `${from}|${m.srcConn}`
      const existing = this.passiveByRemote.get(dupKey)
      if (existing !== undefined) {
        const h = this.conns.get(existing)
        if (h !== undefined) h.onMessage(m, from)
        else this.send(from, { type: Msg.REJ, dstConn: m.srcConn, reason: Reason.STALE })
        return
      }
      // a listener on the destination address, else one on the unspecified address of its family
      const acceptor = this.acceptors.get(`${ipKey({ family: m.family, address: m.dstIp, port: 0 })}|${m.dstPort}`) ??
        this.acceptors.get(`${wildcardKey(m.family)}|${m.dstPort}`)
      if (acceptor === undefined) {
        this.send(from, { type: Msg.REJ, dstConn: m.srcConn, reason: Reason.NO_LISTENER })
        return
      }
      acceptor.onRequest(m, from)
      return
    }
    const h = m.dstConn !== 0
      ? this.conns.get(m.dstConn)
      : this.conns.get(this.passiveByRemote.get(`${from}|${m.srcConn}`) ?? 0)
    if (h !== undefined) {
      h.onMessage(m, from)
      return
    }
    // stateless answers for connections that are gone
    switch (m.type) {
      case Msg.REP:
      case Msg.RTU:
      case Msg.MRA:
        this.send(from, { type: Msg.REJ, srcConn: m.dstConn, dstConn: m.srcConn, reason: Reason.STALE })
        return
      case Msg.DREQ:
      case Msg.ABORT:
        this.send(from, { type: Msg.DREP, srcConn: m.dstConn, dstConn: m.srcConn })
        return
      default:
        return
    }
  }
}

const managers = new WeakMap<object, HostCm>()

/**
 * The connection manager of a host, created on first use: `host` is the provider-core object shared by every
 * adapter instance of that host (its `fork` runs fibers in the provider's scope); the manager installs itself
 * as the NIC's MAD handler.
 */
export const managerOf = (
  host: object,
  nic: Nic,
  fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>,
  clock: Clock.Clock
): HostCm => {
  const existing = managers.get(host)
  if (existing !== undefined) return existing
  const cm = new HostCm(nic, registryOf(nic, nic.address), fork, clock)
  managers.set(host, cm)
  nic.onMad((from, data) => Effect.sync(() => cm.onMad(from, data)))
  return cm
}
