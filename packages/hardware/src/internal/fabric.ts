/**
 * The fabric core: packet descriptors as struct-of-arrays records, per-port inbound rings and delay heaps, the
 * link model (latency, bandwidth, faults) and the packet trace hash. No object per packet.
 */
import { Driver } from "./driver.js"
import { PhysicalMemory } from "./phys.js"
import { mix, mix32, Prng } from "./prng.js"

/** Packet kinds. */
export const K_SEND = 1
export const K_WRITE = 2
export const K_READ_REQ = 3
export const K_READ_RESP = 4
export const K_ACK = 5
export const K_NAK = 6
export const K_MAD = 7

/** Packet flags. */
export const PF_FIRST = 1
export const PF_LAST = 2
export const PF_SOLICITED = 4
export const PF_INVALIDATE = 8
/**
 * A run descriptor (fault-free zero-latency link only): a SEND carrying `syndrome` consecutive single-packet messages
 * of one QP.
 */
export const PF_RUN = 16
/**
 * The first of a chain of packet records sent from one port to one port in one engine pass (fault-free zero-latency
 * link only), linked through `seq` (-1 ends it): one `transmit` for the chain, each record handled on arrival as
 * if it had arrived alone, in order.
 */
export const PF_CHAIN = 32

/** NAK syndromes. */
export const NAK_SEQ = 1
export const NAK_RNR = 2
export const NAK_REM_ACCESS = 3
export const NAK_REM_RANGE = 4
export const NAK_REM_INV_REQ = 5
export const NAK_REM_OP = 6

/** Growable ring of int32 indices (capacity a power of two: positions wrap by mask). */
export class IndexRing {
  buf: Int32Array
  private mask: number
  head = 0
  count = 0
  constructor(cap = 256) {
    let c = 1
    while (c < cap) c *= 2
    this.buf = new Int32Array(c)
    this.mask = c - 1
  }
  push(v: number): void {
    if (this.count === this.buf.length) {
      const nb = new Int32Array(this.buf.length * 2)
      for (let i = 0; i < this.count; i++) nb[i] = this.buf[(this.head + i) & this.mask]!
      this.buf = nb
      this.mask = nb.length - 1
      this.head = 0
    }
    this.buf[(this.head + this.count) & this.mask] = v
    this.count++
  }
  shift(): number {
    const v = this.buf[this.head]!
    this.head = (this.head + 1) & this.mask
    this.count--
    return v
  }
}

/** What the fabric needs from an attached NIC. */
export interface Port {
  readonly portIndex: number
  readonly address: number
  attached: boolean
  readonly inbound: IndexRing
  readonly delayed: DelayHeap
  wake(): void
  requestTimer(at: number): void
}

/** Packet records, struct of arrays. */
export class Packets {
  cap: number
  kind: Uint8Array
  flags: Uint8Array
  syndrome: Uint8Array
  src: Uint16Array
  dst: Uint16Array
  srcQpn: Uint32Array
  dstQpn: Uint32Array
  psn: Float64Array
  row: Int32Array
  /** generation of the source row when the packet was built (the DMA refuses a row re-registered since) */
  sgen: Uint8Array
  va: Float64Array
  len: Uint32Array
  offset: Float64Array
  total: Float64Array
  raddr: Float64Array
  rkey: Uint32Array
  ikey: Uint32Array
  at: Float64Array
  seq: Float64Array
  mad: Array<Uint8Array | undefined>
  private free: Int32Array
  private nfree: number

  constructor(cap = 4096) {
    this.cap = cap
    this.kind = new Uint8Array(cap)
    this.flags = new Uint8Array(cap)
    this.syndrome = new Uint8Array(cap)
    this.src = new Uint16Array(cap)
    this.dst = new Uint16Array(cap)
    this.srcQpn = new Uint32Array(cap)
    this.dstQpn = new Uint32Array(cap)
    this.psn = new Float64Array(cap)
    this.row = new Int32Array(cap)
    this.sgen = new Uint8Array(cap)
    this.va = new Float64Array(cap)
    this.len = new Uint32Array(cap)
    this.offset = new Float64Array(cap)
    this.total = new Float64Array(cap)
    this.raddr = new Float64Array(cap)
    this.rkey = new Uint32Array(cap)
    this.ikey = new Uint32Array(cap)
    this.at = new Float64Array(cap)
    this.seq = new Float64Array(cap)
    this.mad = new Array(cap)
    this.free = new Int32Array(cap)
    for (let i = 0; i < cap; i++) this.free[i] = cap - 1 - i
    this.nfree = cap
  }

  get live(): number {
    return this.cap - this.nfree
  }

  private grow(): void {
    const old = this.cap
    const cap = old * 2
    const g = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
      a: T,
      mk: (n: number) => T
    ): T => {
      const n = mk(cap)
      n.set(a)
      return n
    }
    this.kind = g(this.kind, (n) => new Uint8Array(n))
    this.flags = g(this.flags, (n) => new Uint8Array(n))
    this.syndrome = g(this.syndrome, (n) => new Uint8Array(n))
    this.src = g(this.src, (n) => new Uint16Array(n))
    this.dst = g(this.dst, (n) => new Uint16Array(n))
    this.srcQpn = g(this.srcQpn, (n) => new Uint32Array(n))
    this.dstQpn = g(this.dstQpn, (n) => new Uint32Array(n))
    this.psn = g(this.psn, (n) => new Float64Array(n))
    this.row = g(this.row, (n) => new Int32Array(n))
    this.sgen = g(this.sgen, (n) => new Uint8Array(n))
    this.va = g(this.va, (n) => new Float64Array(n))
    this.len = g(this.len, (n) => new Uint32Array(n))
    this.offset = g(this.offset, (n) => new Float64Array(n))
    this.total = g(this.total, (n) => new Float64Array(n))
    this.raddr = g(this.raddr, (n) => new Float64Array(n))
    this.rkey = g(this.rkey, (n) => new Uint32Array(n))
    this.ikey = g(this.ikey, (n) => new Uint32Array(n))
    this.at = g(this.at, (n) => new Float64Array(n))
    this.seq = g(this.seq, (n) => new Float64Array(n))
    this.mad.length = cap
    const nf = new Int32Array(cap)
    nf.set(this.free.subarray(0, this.nfree))
    for (let i = old; i < cap; i++) nf[this.nfree++] = i
    this.free = nf
    this.cap = cap
  }

  alloc(): number {
    if (this.nfree === 0) this.grow()
    return this.free[--this.nfree]!
  }

  release(i: number): void {
    if ((this.flags[i]! & PF_CHAIN) !== 0) {
      // a chain dropped whole: the records after the first go with it
      this.flags[i] = this.flags[i]! & ~PF_CHAIN
      let j = this.seq[i]!
      while (j >= 0) {
        const next = this.seq[j]!
        this.release(j)
        j = next
      }
    }
    // only a MAD record carries a payload object (a clone of one is a MAD too)
    if (this.kind[i] === K_MAD) this.mad[i] = undefined
    this.free[this.nfree++] = i
  }

  clone(i: number): number {
    const j = this.alloc()
    this.kind[j] = this.kind[i]!
    this.flags[j] = this.flags[i]!
    this.syndrome[j] = this.syndrome[i]!
    this.src[j] = this.src[i]!
    this.dst[j] = this.dst[i]!
    this.srcQpn[j] = this.srcQpn[i]!
    this.dstQpn[j] = this.dstQpn[i]!
    this.psn[j] = this.psn[i]!
    this.row[j] = this.row[i]!
    this.sgen[j] = this.sgen[i]!
    this.va[j] = this.va[i]!
    this.len[j] = this.len[i]!
    this.offset[j] = this.offset[i]!
    this.total[j] = this.total[i]!
    this.raddr[j] = this.raddr[i]!
    this.rkey[j] = this.rkey[i]!
    this.ikey[j] = this.ikey[i]!
    this.mad[j] = this.mad[i]
    return j
  }
}

/** Binary min-heap of packet indices keyed on (at, seq). */
export class DelayHeap {
  buf: Int32Array = new Int32Array(64)
  size = 0
  constructor(private readonly pk: Packets) {}
  private less(a: number, b: number): boolean {
    const pk = this.pk
    const x = pk.at[a]!
    const y = pk.at[b]!
    return x < y || (x === y && pk.seq[a]! < pk.seq[b]!)
  }
  push(i: number): void {
    if (this.size === this.buf.length) {
      const nb = new Int32Array(this.buf.length * 2)
      nb.set(this.buf)
      this.buf = nb
    }
    let k = this.size++
    const b = this.buf
    while (k > 0) {
      const p = (k - 1) >> 1
      if (!this.less(i, b[p]!)) break
      b[k] = b[p]!
      k = p
    }
    b[k] = i
  }
  peekAt(): number {
    return this.size === 0 ? Infinity : this.pk.at[this.buf[0]!]!
  }
  pop(): number {
    const b = this.buf
    const top = b[0]!
    const last = b[--this.size]!
    let k = 0
    const n = this.size
    while (true) {
      const l = 2 * k + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && this.less(b[r]!, b[l]!) ? r : l
      if (!this.less(b[c]!, last)) break
      b[k] = b[c]!
      k = c
    }
    if (n > 0) b[k] = last
    return top
  }
}

/** Fault knobs that can change at run time. Probabilities are per packet. */
export interface FaultState {
  loss: number
  duplicate: number
  reorder: number
  /** max extra delay of a reordered packet, microseconds */
  reorderMaxUs: number
  corrupt: number
}

export interface LinkState {
  latencyUs: number
  /** 0 = unlimited */
  bandwidthGbps: number
  mtu: number
}

export interface FabricCounters {
  sent: number
  delivered: number
  lost: number
  duplicated: number
  corrupted: number
  reordered: number
  blocked: number
}

/** A targeted drop: the next `left` packets of `kind` (and `psn` on the wire, source address `from`, if ≥ 0). */
export interface DropRule {
  readonly kind: number
  readonly psn: number
  readonly from: number
  left: number
}

export class FabricCore {
  readonly pk: Packets
  /** the engine loop of every NIC on this fabric */
  readonly driver: Driver
  readonly phys: PhysicalMemory
  readonly prng: Prng
  readonly seed: number
  readonly ports: Array<Port | undefined> = []
  readonly byAddress = new Map<number, Port>()
  readonly faults: FaultState
  readonly link: LinkState
  readonly linkDown = new Set<number>()
  readonly partitions = new Set<string>()
  /** targeted drops (tests, the simulator): checked only while some are armed */
  readonly drops: Array<DropRule> = []
  readonly counters: FabricCounters = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
    blocked: 0
  }
  private egressFree: Float64Array = new Float64Array(64)
  private seq = 0
  tracing: boolean
  /** the Clock, milliseconds (virtual in tests) */
  private readonly clockNow: () => number
  /** while the driver runs: the time read once when the run started (a run takes no time of its own) */
  private frozen = false
  private frozenAt = 0
  /** creation time: the trace hashes times relative to it */
  readonly t0: number

  constructor(options: {
    readonly seed: number
    readonly memoryBytes: number
    readonly link: LinkState
    readonly faults: FaultState
    readonly trace: boolean
    readonly now: () => number
    readonly wasm: boolean
  }) {
    this.pk = new Packets()
    this.phys = new PhysicalMemory(options.memoryBytes, options.wasm)
    this.prng = new Prng(options.seed)
    this.seed = options.seed
    this.faults = { ...options.faults }
    this.link = { ...options.link }
    this.tracing = options.trace
    this.clockNow = options.now
    this.t0 = options.now()
    this.driver = new Driver(this)
  }

  /** Milliseconds (virtual in tests); inside a driver run, the time at the run's start. */
  now(): number {
    return this.frozen ? this.frozenAt : this.clockNow()
  }

  /** The driver starts a run: every pass of the run sees the same time (one Clock read per run). */
  freezeTime(): void {
    this.frozenAt = this.clockNow()
    this.frozen = true
  }

  thawTime(): void {
    this.frozen = false
  }

  /** per-source-port PRNG streams and trace hashes (independent of how engines interleave) */
  private readonly portPrng: Array<Prng> = []
  private readonly portHash: Array<number> = []

  /** The trace hash: per-port hashes combined in port order. */
  traceHash(): number {
    let h = 0x811C9DC5
    for (let p = 0; p < this.portHash.length; p++) h = mix(h, this.portHash[p] ?? 0)
    return h
  }

  attach(port: Port): void {
    if (this.portPrng[port.portIndex] === undefined) {
      const r = new Prng((this.seed ^ Math.imul(port.portIndex + 1, 0x9E3779B1)) >>> 0)
      this.portPrng[port.portIndex] = r
      this.portHash[port.portIndex] = 0x811C9DC5
    }
    this.ports[port.portIndex] = port
    this.byAddress.set(port.address, port)
    if (port.portIndex >= this.egressFree.length) {
      const n = new Float64Array(Math.max(port.portIndex + 1, this.egressFree.length * 2))
      n.set(this.egressFree)
      this.egressFree = n
    }
  }

  detach(port: Port): void {
    if (this.byAddress.get(port.address) === port) this.byAddress.delete(port.address)
    this.ports[port.portIndex] = undefined
    port.attached = false
  }

  nextPortIndex(): number {
    for (let i = 0; i < this.ports.length; i++) if (this.ports[i] === undefined) return i
    return this.ports.length
  }

  /** True when the link adds no latency, bandwidth cap or random fault (burst descriptors allowed). */
  fastPath(): boolean {
    const f = this.faults
    const l = this.link
    return l.latencyUs === 0 && l.bandwidthGbps === 0 && f.loss === 0 && f.duplicate === 0 && f.reorder === 0 &&
      f.corrupt === 0 && this.drops.length === 0
  }

  blocked(a: number, b: number): boolean {
    if (this.linkDown.size > 0 && (this.linkDown.has(a) || this.linkDown.has(b))) return true
    if (this.partitions.size > 0 && (this.partitions.has(`${a}|${b}`) || this.partitions.has(`${b}|${a}`))) return true
    return false
  }

  /** True (and the rule counted down) when packet `i` matches an armed targeted drop. */
  private dropMatch(i: number, from: number): boolean {
    const pk = this.pk
    const list = this.drops
    for (let k = 0; k < list.length; k++) {
      const r = list[k]!
      if (r.kind !== pk.kind[i] || (r.psn >= 0 && r.psn !== pk.psn[i]) || (r.from >= 0 && r.from !== from)) continue
      if (--r.left <= 0) list.splice(k, 1)
      return true
    }
    return false
  }

  private trace(i: number, fate: number, at: number): void {
    const pk = this.pk
    const s = pk.src[i]!
    let h = this.portHash[s] ?? 0
    h = mix32(h, pk.kind[i]! | (pk.flags[i]! << 8) | (pk.syndrome[i]! << 16) | (fate << 24))
    h = mix32(h, (pk.src[i]! | (pk.dst[i]! << 16)) ^ pk.dstQpn[i]!)
    h = mix32(h, (pk.psn[i]! + pk.len[i]! * 65536) ^ (at === 0 ? 0 : Math.round((at - this.t0) * 1e6)))
    this.portHash[s] = h
  }

  /**
   * Sends packet `i` (already filled, `src`/`dst` are port indices). Decides its fate from the link state and
   * the seeded PRNG, then queues it at the destination (or drops it).
   */
  transmit(i: number): void {
    const pk = this.pk
    const c = this.counters
    c.sent++
    const dst = this.ports[pk.dst[i]!]
    const srcPort = this.ports[pk.src[i]!]
    if (dst === undefined || !dst.attached || srcPort === undefined) {
      c.blocked++
      if (this.tracing) this.trace(i, 1, 0)
      pk.release(i)
      return
    }
    if ((this.linkDown.size > 0 || this.partitions.size > 0) && this.blocked(srcPort.address, dst.address)) {
      c.blocked++
      if (this.tracing) this.trace(i, 1, 0)
      pk.release(i)
      return
    }
    const f = this.faults
    const prng = this.portPrng[pk.src[i]!]!
    if ((this.drops.length > 0 && this.dropMatch(i, srcPort.address)) || (f.loss > 0 && prng.chance(f.loss))) {
      c.lost++
      if (this.tracing) this.trace(i, 2, 0)
      pk.release(i)
      return
    }
    if (f.corrupt > 0 && prng.chance(f.corrupt)) {
      // detected by the receiver's ICRC check and dropped
      c.corrupted++
      if (this.tracing) this.trace(i, 3, 0)
      pk.release(i)
      return
    }
    const link = this.link
    let at = 0
    const timed = link.latencyUs > 0 || link.bandwidthGbps > 0 || f.reorder > 0 || f.duplicate > 0
    const now = timed ? this.now() : 0
    if (timed) {
      at = now + link.latencyUs / 1000
      if (link.bandwidthGbps > 0) {
        const s = pk.src[i]!
        const bytes = pk.len[i]! + 64
        const ser = (bytes * 8) / (link.bandwidthGbps * 1e6) // ms
        const start = Math.max(now, this.egressFree[s]!)
        this.egressFree[s] = start + ser
        at = start + ser + link.latencyUs / 1000
      }
    }
    if (f.reorder > 0 && prng.chance(f.reorder)) {
      c.reordered++
      at = Math.max(at, now) + (prng.float() * f.reorderMaxUs) / 1000
    }
    let dup = -1
    if (f.duplicate > 0 && prng.chance(f.duplicate)) {
      c.duplicated++
      dup = pk.clone(i)
    }
    if (this.tracing) this.trace(i, 0, at)
    this.enqueue(dst, i, at, now)
    if (dup >= 0) {
      const dat = Math.max(at, now) + (prng.float() * Math.max(1, f.reorderMaxUs)) / 1000
      if (this.tracing) this.trace(dup, 4, dat)
      this.enqueue(dst, dup, dat, now)
    }
  }

  private enqueue(dst: Port, i: number, at: number, now: number): void {
    if (at <= now) {
      dst.inbound.push(i)
      dst.wake()
    } else {
      this.pk.at[i] = at
      this.pk.seq[i] = this.seq++
      dst.delayed.push(i)
      dst.requestTimer(at)
    }
  }
}
