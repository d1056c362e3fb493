/**
 * The NIC core: key table (MRs, FR-MRs, MWs), host arena, queues (QP/SRQ/CQ) as typed-array records, and the
 * engine pass (requester, responder, completer) over ready queues. Everything here is synchronous; the Effect
 * face (Nic.ts) hands the engine to the fabric's driver (internal/driver.ts), which runs `pass()` and delivers
 * events between passes.
 */
import type { Effect } from "effect/Effect"
import { NicCode } from "../NicCode.js"
import type { FabricCore, Packets, Port } from "./fabric.js"
import {
  DelayHeap,
  IndexRing,
  K_ACK,
  K_MAD,
  K_NAK,
  K_READ_REQ,
  K_READ_RESP,
  K_SEND,
  K_WRITE,
  NAK_REM_ACCESS,
  NAK_REM_INV_REQ,
  NAK_REM_OP,
  NAK_REM_RANGE,
  NAK_RNR,
  NAK_SEQ,
  PF_CHAIN,
  PF_FIRST,
  PF_INVALIDATE,
  PF_LAST,
  PF_RUN,
  PF_SOLICITED
} from "./fabric.js"
import { PAGE, RangeAllocator } from "./phys.js"

// ---------------------------------------------------------------------------------------------------------------
// codes: the NIC's own vocabulary, defined once in NicCode.ts (a leaf module with no imports)

export const C = NicCode

export const OP_SEND = 1
export const OP_SEND_INV = 2
export const OP_WRITE = 3
export const OP_READ = 4
export const OP_BIND = 5
export const OP_FR = 6
export const OP_INV = 7
export const OP_RECV = 8
export const OP_RECV_INV = 9

export const F_SILENT = 0x1
export const F_FENCE = 0x2
export const F_SOLICITED = 0x4
export const F_A_RREAD = 0x8
export const F_A_LWRITE = 0x10
export const F_A_RWRITE = 0x30
export const F_INLINE = 0x40
export const F_SINK = 0x80
export const F_READ_LINV = 0x100
export const F_DEFER = 0x200

const ALLOWED_FLAGS: Array<number> = []
ALLOWED_FLAGS[OP_SEND] = F_SILENT | F_FENCE | F_SOLICITED | F_INLINE | F_DEFER
ALLOWED_FLAGS[OP_SEND_INV] = F_SILENT | F_FENCE | F_SOLICITED | F_INLINE | F_DEFER
ALLOWED_FLAGS[OP_WRITE] = F_SILENT | F_FENCE | F_INLINE | F_DEFER
ALLOWED_FLAGS[OP_READ] = F_SILENT | F_FENCE | F_READ_LINV | F_DEFER
ALLOWED_FLAGS[OP_BIND] = F_SILENT | F_FENCE | F_A_RREAD | F_A_RWRITE | F_DEFER
ALLOWED_FLAGS[OP_FR] = F_SILENT | F_FENCE | F_A_RREAD | F_A_LWRITE | F_A_RWRITE | F_SINK | F_DEFER
ALLOWED_FLAGS[OP_INV] = F_SILENT | F_FENCE | F_DEFER

// access bits (NDK MR flag values)
export const A_LW = 1
export const A_RR = 2
export const A_RW = 4
export const A_SINK = 8

// key table kinds and states
const KIND_FREE = 0
const KIND_MR = 1
const KIND_FR = 2
const KIND_MW = 3

export const QP_INIT = 0
export const QP_RTS = 1
export const QP_ERROR = 2

/** The VA at which every host arena starts (0 is never a valid address). */
export const VA_BASE = 0x10000000
/** Logical (adapter) addresses of host pages start here. */
export const LOGICAL_BASE = 0x4000000000
/** Synthetic VA space for external (caller-buffer) registrations. */
export const EXTERNAL_BASE = 0x100000000000
const EXTERNAL_SPAN = 0x100000000
/** The privileged local key (reserved row 0). */
export const PRIVILEGED_KEY = 0

/** PSNs are 24-bit on the wire (IB BTH); each side keeps unbounded "extended" PSNs internally. */
export const PSN_MASK = 0xffffff
/** PSN space size (2^24). */
export const PSN_SPACE = 0x1000000

/**
 * The extended PSN nearest to `ref` whose low 24 bits are `wire` (IB compares PSNs modulo 2^24 within a window of
 * 2^23): the responder unwraps against its expected PSN, the completer against its last acknowledged PSN.
 */
export const unwrapPsn = (wire: number, ref: number): number => ref + (((wire - (ref & PSN_MASK)) << 8) >> 8)

const ROW_INLINE = -1
const ROW_LOGICAL = -2
const ROW_NONE = -3

export interface Config {
  vendorId: number
  deviceId: number
  maxQps: number
  maxCqs: number
  maxSrqs: number
  maxPds: number
  maxMrs: number
  maxMws: number
  maxSqDepth: number
  maxRqDepth: number
  maxSrqDepth: number
  maxCqDepth: number
  maxSendSge: number
  maxRecvSge: number
  maxReadSge: number
  maxInline: number
  maxTransfer: number
  maxIrd: number
  maxOrd: number
  maxRegistration: number
  maxWindow: number
  frmrPageCount: number
  maxFrPages: number
  largeRequestThreshold: number
  hostMemoryBytes: number
  deviceMemoryBytes: number
  mtu: number
  retryCount: number
  rnrRetry: number
  ackTimeoutUs: number
  rnrTimerUs: number
  windowPackets: number
  readSinkNotRequired: boolean
  readLocalInvalidate: boolean
  cqResize: boolean
  loopback: boolean
  maxMadSize: number
  passBudget: number
}

/**
 * A notification handler, delivered after the pass that raised it (never inside a verb call): an Effect (run in
 * order on the NIC's delivery fiber) or a plain synchronous function (called by the engine driver right after the
 * pass — the fast path; it must not throw and should only record or hand the event over).
 */
export type Handler = ((code: number) => Effect<void>) | { readonly sync: (code: number) => void }
export type MadHandler =
  | ((from: number, data: Uint8Array) => Effect<void>)
  | { readonly sync: (from: number, data: Uint8Array) => void }

// ---------------------------------------------------------------------------------------------------------------
// CQ

export class Cq {
  depth: number
  status: Uint8Array
  opcode: Uint8Array
  qpn: Uint32Array
  bytes: Float64Array
  key: Uint32Array
  ctx: Array<unknown>
  head = 0
  count = 0
  /** 0 ok, else the event code of the failure */
  failed = 0
  armed = 0
  produced = 0
  notified = 0
  lastSol = 0
  refs = 0
  live = true
  constructor(readonly id: number, depth: number, readonly handler: Handler | undefined) {
    this.depth = depth
    this.status = new Uint8Array(depth)
    this.opcode = new Uint8Array(depth)
    this.qpn = new Uint32Array(depth)
    this.bytes = new Float64Array(depth)
    this.key = new Uint32Array(depth)
    this.ctx = new Array(depth)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SRQ

export class Srq {
  depth: number
  sgeStride: number
  /** receive records, array of structs: `rs` numbers per slot (fields `R_*`, as in `Qp.r`) */
  r: Float64Array
  readonly rs: number
  ctx: Array<unknown>
  freeSlots: Int32Array
  nfree: number
  fifo: Int32Array
  head = 0
  count = 0
  limit = 0
  armed = false
  refs = 0
  live = true
  failed = false
  constructor(
    readonly id: number,
    readonly pd: number,
    depth: number,
    maxSge: number,
    readonly handler: Handler | undefined
  ) {
    this.depth = depth
    this.sgeStride = Math.max(1, maxSge)
    this.rs = 1 + RSG * this.sgeStride
    this.r = new Float64Array(depth * this.rs)
    this.ctx = new Array(depth)
    this.freeSlots = new Int32Array(depth)
    for (let i = 0; i < depth; i++) this.freeSlots[i] = depth - 1 - i
    this.nfree = depth
    this.fifo = new Int32Array(depth)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// QP

/** WQE record fields (offsets into `Qp.w`, `WS` numbers per WQE). */
const W_OP = 0
const W_FLAGS = 1
const W_ST = 2
const W_STARTED = 3
const W_NSGE = 4
const W_TOTAL = 5
const W_RADDR = 6
const W_RKEY = 7
const W_IKEY = 8
const W_FIRST = 9
const W_LAST = 10
const W_RNEXT = 11
const WS = 12
/** SGE record fields (offsets into `Qp.sg`, `SGS` numbers per SGE). */
const SG_ADDR = 0
const SG_LEN = 1
const SG_KEY = 2
const SG_ROW = 3
const SG_GEN = 4
const SGS = 5
/**
 * Responder read-response resource fields (offsets into `Qp.rd`, `RDS` numbers per slot; `ird` slots per QP). A
 * slot is taken by an RDMA READ request and held until its last response packet has been sent.
 */
const RD_FIRST = 0
const RD_LAST = 1
const RD_NEXT = 2
const RD_RADDR = 3
const RD_TOTAL = 4
const RD_ROW = 5
const RD_GEN = 6
/** 1 = the slot re-serves a duplicate request (evictable: the requester still counts only the original) */
const RD_DUP = 7
const RDS = 8

/** The smallest power of two ≥ n (n ≥ 1). */
const pow2 = (n: number): number => {
  let c = 1
  while (c < n) c *= 2
  return c
}

/** Receive record fields (offsets into `Qp.r` / `Srq.r`): the SGE count, then (address, length, key) per SGE. */
const R_NSGE = 0
const R_ADDR = 1
const R_LEN = 2
const R_KEY = 3
/** numbers per receive SGE */
const RSG = 3

/** Where a QP's records and contexts are allocated (the NIC). */
export interface Records {
  allocRec(n: number): number
  allocCtx(n: number): number
}

export class Qp {
  // the fields every message touches come first, grouped by the stage that reads them (post, requester, completer,
  // responder, receive post): a few cache lines per QP, thousands of QPs are walked round robin
  state = QP_INIT
  live = true
  readonly qpn: number
  readonly pd: number
  sqHead = 0
  sqReq = 0
  sqBell = 0
  sqTail = 0
  /** record slots: the depth rounded up to a power of two (a WQE's slot is its sequence number & sqMask) */
  readonly sqMask: number
  readonly sqDepth: number
  sStride: number
  /** WQE records in the NIC's record array (`NicCore.rec`) from here: `WS` numbers per WQE (fields `W_*`) */
  wo = 0
  /** local SGEs in the record array from here: `SGS` numbers per SGE (fields `SG_*`), `sStride` SGEs per WQE */
  so = 0
  /** contexts in the NIC's context array (`NicCore.ctxs`): send WQEs at [co, co + sqCap), receives at [rco, …) */
  co = 0
  readonly sendCq: Cq
  readonly maxSendSge: number
  inReady = false
  reqBlocked = false
  curActive = false
  timerKind = 0
  timerAt = Infinity
  inTimers = false
  nextPsn = 0
  curPsn = 0
  ackPsn = -1
  readsOut = 0
  remotePort: Port | undefined = undefined
  remoteQpn = 0
  mtu: number
  retryLeft = 0
  rnrLeft = 0
  goBackMark = -1
  readonly recvCq: Cq
  readonly srq: Srq | undefined
  ePsn = 0
  nakSent = false
  needAck = false
  respActive = false
  rqHead = 0
  rqTail = 0
  readonly rqMask: number
  readonly rqDepth: number
  readonly maxRecvSge: number
  /** receive records in the record array from here: `rs` numbers per receive (fields `R_*`) */
  ro = 0
  readonly rs: number
  rco = 0
  // colder
  readonly sqCap: number
  readonly rqCap: number
  readonly rStride: number
  readonly maxInline: number
  inlineBase: number
  remoteAddress = -1
  ird = 0
  ord = 0
  curSge = 0
  curOff = 0
  msgOff = 0
  rnrPsn = 0
  errNak = 0
  respSlot = -1
  respSrq = false
  respTotal = 0
  respSge = 0
  respSgeOff = 0
  respRow = 0
  respVa = 0
  respGen = 0
  /** rows (first `respN`) and their generations (next `respN`) of the receive being filled */
  resp: Int32Array
  readonly respN: number
  /** a WRITE message is being placed (its first packet arrived, its last not yet) */
  respWriting = false
  /** read-response resources: `ird` slots of `RDS` numbers, in service order (allocated at the first read) */
  rd: Float64Array | undefined = undefined
  rdCount = 0
  inReads = false
  /** drain watch: called once when no work is in flight on this QP */
  drainHandler: Handler | undefined = undefined
  /** numbers of the block at `wo` (WQEs, SGEs, receives); a widened SGE area (`so` outside it) has `sgSize` */
  recSize = 0
  sgSize = 0

  constructor(
    qpn: number,
    pd: number,
    sendCq: Cq,
    recvCq: Cq,
    srq: Srq | undefined,
    sqDepth: number,
    rqDepth: number,
    maxSendSge: number,
    maxRecvSge: number,
    maxInline: number,
    mtu: number,
    records: Records
  ) {
    this.qpn = qpn
    this.pd = pd
    this.sendCq = sendCq
    this.recvCq = recvCq
    this.srq = srq
    this.maxSendSge = maxSendSge
    this.maxRecvSge = maxRecvSge
    this.maxInline = maxInline
    this.sqDepth = sqDepth
    this.sqCap = pow2(sqDepth)
    this.sqMask = this.sqCap - 1
    this.sStride = Math.max(1, maxSendSge)
    this.rqDepth = srq === undefined ? rqDepth : 0
    this.rqCap = this.rqDepth === 0 ? 0 : pow2(this.rqDepth)
    this.rqMask = this.rqCap === 0 ? 0 : this.rqCap - 1
    this.rStride = Math.max(1, maxRecvSge)
    this.rs = 1 + RSG * this.rStride
    const sqCap = this.sqCap
    const rows = Math.max(this.rStride, srq?.sgeStride ?? 1)
    this.respN = rows
    // every record of this QP is one block of the NIC's record array (QPs side by side, no per-QP typed arrays)
    const wn = WS * sqCap
    const sn = SGS * sqCap * this.sStride
    this.recSize = wn + sn + this.rqCap * this.rs
    this.wo = records.allocRec(this.recSize)
    this.so = this.wo + wn
    this.ro = this.so + sn
    this.resp = new Int32Array(2 * rows)
    this.co = records.allocCtx(sqCap + this.rqCap)
    this.rco = this.co + sqCap
    this.inlineBase = -1
    this.mtu = mtu
  }
}

/** Caller-side scatter/gather list (reused across posts; no object per SGE). */
export interface SglLike {
  count: number
  addr: Float64Array
  len: Float64Array
  key: Uint32Array
}

/** Caller-side poll results. */
export interface ResultsLike {
  status: Uint8Array
  opcode: Uint8Array
  qpn: Uint32Array
  bytes: Float64Array
  key: Uint32Array
  context: Array<unknown>
}

/** Packet flags of a single-packet message from its WQE flags. */
const singleFlags = (wflags: number, op: number): number =>
  PF_FIRST | PF_LAST | ((wflags & F_SOLICITED) !== 0 ? PF_SOLICITED : 0) | (op === OP_SEND_INV ? PF_INVALIDATE : 0)

/** Shortens a small array to `n` by pops (`length = n` is a runtime call; these lists hold a few entries). */
const truncate = <A>(list: Array<A>, n: number): void => {
  while (list.length > n) list.pop()
}

/** Fills packet record `p` as the single-packet message of WQE record `wb` (source row/VA already resolved). */
const writeSingle = (
  pk: Packets,
  p: number,
  op: number,
  flags: number,
  psn: number,
  row: number,
  gen: number,
  va: number,
  total: number,
  w: Float64Array,
  wb: number
): void => {
  pk.kind[p] = op === OP_WRITE ? K_WRITE : K_SEND
  pk.flags[p] = flags
  pk.psn[p] = psn
  pk.row[p] = row
  pk.sgen[p] = gen
  pk.va[p] = va
  pk.len[p] = total
  pk.offset[p] = 0
  pk.total[p] = total
  pk.raddr[p] = w[wb + W_RADDR]!
  pk.rkey[p] = w[wb + W_RKEY]!
  pk.ikey[p] = w[wb + W_IKEY]!
}

/** polls of at least this many entries copy the typed CQE fields as blocks */
const BULK_POLL = 32

// scratch for address resolution (no allocation)
let R_store = 0
let R_phys = 0
let R_avail = 0

export class NicCore implements Port {
  attached = true
  readonly inbound = new IndexRing(1024)
  readonly delayed: DelayHeap
  removed = false
  // host memory
  readonly hostBase: number
  readonly hostSize: number
  readonly host: RangeAllocator
  readonly dev: RangeAllocator
  readonly lamRefs: Uint16Array
  // key table
  readonly kCap: number
  kKind: Uint8Array
  kState: Uint8Array
  kPd: Int32Array
  kAcc: Uint8Array
  kGen: Uint8Array
  kVa: Float64Array
  kLen: Float64Array
  kPhys: Float64Array
  kStore: Int32Array
  kBound: Uint32Array
  kParent: Int32Array
  kFrMax: Uint32Array
  kFrRemote: Uint8Array
  kFbo: Uint32Array
  kPages: Array<Float64Array | undefined>
  kFree: Array<number> = []
  /** moves on with every key-table change: a cached key check is valid only within the epoch it was made in */
  keyEpoch = 0
  // the last key that passed a local / remote check (key, PD, row, epoch): later checks of it only test bounds
  // and access rights
  private lkKey = -1
  private lkPd = -1
  private lkRow = -1
  private lkEpoch = -1
  private rkKey = -1
  private rkPd = -1
  private rkRow = -1
  private rkEpoch = -1
  nMrs = 0
  nMws = 0
  // objects
  readonly pdLive: Uint8Array
  readonly pdRefs: Uint32Array
  nPds = 0
  readonly cqs: Array<Cq | undefined> = []
  readonly srqs: Array<Srq | undefined> = []
  readonly qps: Array<Qp | undefined>
  /**
   * Every QP's records (WQEs, local SGEs, receives) side by side in one array, each QP a block at its offsets: no
   * typed array per QP, so walking thousands of QPs touches their records and not thousands of array objects. A
   * freed block is reused by the next block of the same size; the array grows by doubling.
   */
  rec = new Float64Array(1 << 13)
  private recTop = 0
  private readonly recFree = new Map<number, Array<number>>()
  /** every QP's WR contexts, likewise (send WQEs, then receives) */
  readonly ctxs: Array<unknown> = []
  private readonly ctxFree = new Map<number, Array<number>>()
  qpGen: Uint32Array
  /** a QPN is slot + qpSlots × generation: qpSlots is maxQps rounded up to a power of two (slot = qpn & mask) */
  readonly qpSlots: number
  nQps = 0
  private nextQpSlot = 0
  // engine
  /** QPs with requester work, from `readyHead` (entries before it were served and are cleared) */
  readonly ready: Array<Qp | undefined> = []
  readyHead = 0
  private readonly served: Array<Qp | undefined> = []
  /** QPs owing an ACK this pass: the first `nAcks` entries */
  readonly acks: Array<Qp | undefined> = []
  nAcks = 0
  /** packets of this pass's requester not yet transmitted (fast path): a chain to one port (see `PF_CHAIN`) */
  private txHead = -1
  private txTail = -1
  private txCount = 0
  private txPort: Port | undefined = undefined
  readonly timers: Array<Qp> = []
  readonly errorQps: Array<Qp> = []
  /** QPs with read responses to send (responder) */
  readonly readQps: Array<Qp> = []
  /** QPs with a drain watch */
  readonly drainWatch: Array<Qp> = []
  evHandlers: Array<Handler | undefined> = []
  evCodes: Array<number> = []
  madHandler: MadHandler | undefined = undefined
  madFrom: Array<number> = []
  madData: Array<Uint8Array> = []
  nextTimerAt = Infinity
  sleeperAt = Infinity
  /** `config.maxTransfer` (read by every post) */
  readonly maxTransfer: number
  /** Clock time at the start of the current pass (engine code inside a pass reads it instead of the Clock) */
  passNow = 0
  /** whether the link is fault-free with zero latency during the current pass (run descriptors allowed) */
  passFast = false
  waker: (() => void) | undefined = undefined
  schedule: (at: number) => void = () => {}
  counters = {
    packetsOut: 0,
    packetsIn: 0,
    bytesOut: 0,
    retransmits: 0,
    rnrNaks: 0,
    seqNaks: 0,
    passes: 0,
    /** read-response packets sent (responder) */
    readResponses: 0,
    /** most read-response resources one QP held at once */
    readSlotsPeak: 0
  }

  constructor(
    readonly fabric: FabricCore,
    readonly portIndex: number,
    readonly address: number,
    readonly config: Config
  ) {
    this.delayed = new DelayHeap(fabric.pk)
    this.maxTransfer = config.maxTransfer
    const hostSize = Math.ceil(config.hostMemoryBytes / PAGE) * PAGE
    // arenas start at a different offset within a page on each port: two hosts' buffers at equal VAs would
    // otherwise sit a multiple of 4 KiB apart, the worst case for the copies between them (4K aliasing)
    const carved = fabric.phys.carve(hostSize + config.deviceMemoryBytes + PAGE)
    if (carved < 0) throw new Error("fabric physical memory exhausted")
    const base = carved + ((portIndex * 2 + 1) * 1024) % PAGE
    this.hostBase = base
    this.hostSize = hostSize
    this.host = new RangeAllocator(VA_BASE, hostSize)
    this.dev = new RangeAllocator(base + hostSize, Math.ceil(config.deviceMemoryBytes / PAGE) * PAGE)
    this.lamRefs = new Uint16Array(hostSize / PAGE)
    const cap = config.maxMrs + config.maxMws + 1
    this.kCap = cap
    this.kKind = new Uint8Array(cap)
    this.kState = new Uint8Array(cap)
    this.kPd = new Int32Array(cap)
    this.kAcc = new Uint8Array(cap)
    this.kGen = new Uint8Array(cap)
    this.kVa = new Float64Array(cap)
    this.kLen = new Float64Array(cap)
    this.kPhys = new Float64Array(cap)
    this.kStore = new Int32Array(cap)
    this.kBound = new Uint32Array(cap)
    this.kParent = new Int32Array(cap)
    this.kFrMax = new Uint32Array(cap)
    this.kFrRemote = new Uint8Array(cap)
    this.kFbo = new Uint32Array(cap)
    this.kPages = new Array(cap)
    for (let i = cap - 1; i >= 1; i--) this.kFree.push(i)
    this.pdLive = new Uint8Array(config.maxPds + 1)
    this.pdRefs = new Uint32Array(config.maxPds + 1)
    this.qps = new Array(config.maxQps)
    this.qpGen = new Uint32Array(config.maxQps)
    this.qpSlots = pow2(config.maxQps)
  }

  // -------------------------------------------------------------------------------------------------------------
  // Port

  /** A doorbell: tells the driver this engine has work (cheap when it is already queued). */
  wake(): void {
    const w = this.waker
    if (w !== undefined) w()
  }

  /**
   * Asks for a pass at `at`. One sleeper is pending at a time (`sleeperAt`, until it fires): a new one only for
   * an earlier deadline. A sleeper that fires late (the event loop busy with microtasks) is still pending until
   * then, so later deadlines start no duplicate — formerly every send during the lateness forked one.
   */
  requestTimer(at: number): void {
    if (at < this.nextTimerAt) this.nextTimerAt = at
    if (at < this.sleeperAt) {
      this.sleeperAt = at
      this.schedule(at)
    }
  }

  /** True while the engine has work (the driver adds whether it is queued or running). */
  busy(): boolean {
    return this.hasWork()
  }

  /** Called when a sleeper fires. */
  timerFired(at: number): void {
    if (this.sleeperAt <= at) this.sleeperAt = Infinity
    this.wake()
  }

  hasWork(): boolean {
    if (this.inbound.count > 0 || this.ready.length > this.readyHead || this.nAcks > 0 || this.evCodes.length > 0) {
      return true
    }
    if (this.errorQps.length > 0 || this.madData.length > 0 || this.readQps.length > 0) return true
    const now = this.fabric.now() + 1e-6
    return this.delayed.peekAt() <= now || this.nextTimerAt <= now
  }

  // -------------------------------------------------------------------------------------------------------------
  // host memory

  hostPhys(va: number): number {
    return this.hostBase + (va - VA_BASE)
  }

  inHost(va: number, len: number): boolean {
    return va >= VA_BASE && len >= 0 && va + len <= VA_BASE + this.hostSize
  }

  // -------------------------------------------------------------------------------------------------------------
  // QP records

  /** A zeroed block of `n` numbers of the record array (a multiple of 8: blocks start on cache lines). */
  allocRec(n: number): number {
    const size = Math.ceil(n / 8) * 8
    const o = this.recFree.get(size)?.pop()
    if (o !== undefined) {
      this.rec.fill(0, o, o + size)
      return o
    }
    if (this.recTop + size > this.rec.length) {
      let cap = this.rec.length * 2
      while (cap < this.recTop + size) cap *= 2
      const grown = new Float64Array(cap)
      grown.set(this.rec.subarray(0, this.recTop))
      this.rec = grown
    }
    const at = this.recTop
    this.recTop += size
    return at
  }

  freeRec(o: number, n: number): void {
    const size = Math.ceil(n / 8) * 8
    if (size === 0) return
    let list = this.recFree.get(size)
    if (list === undefined) this.recFree.set(size, list = [])
    list.push(o)
  }

  /** `n` context slots (all undefined). */
  allocCtx(n: number): number {
    const o = this.ctxFree.get(n)?.pop()
    if (o !== undefined) return o
    const ctxs = this.ctxs
    const at = ctxs.length
    for (let k = 0; k < n; k++) ctxs.push(undefined)
    return at
  }

  freeCtx(o: number, n: number): void {
    const ctxs = this.ctxs
    for (let k = 0; k < n; k++) ctxs[o + k] = undefined
    if (n === 0) return
    let list = this.ctxFree.get(n)
    if (list === undefined) this.ctxFree.set(n, list = [])
    list.push(o)
  }

  // -------------------------------------------------------------------------------------------------------------
  // PDs

  allocPd(): number {
    if (this.removed) return -C.DEVICE_REMOVED
    for (let i = 1; i < this.pdLive.length; i++) {
      if (this.pdLive[i] === 0) {
        this.pdLive[i] = 1
        this.pdRefs[i] = 0
        this.nPds++
        return i
      }
    }
    return -C.NO_RESOURCES
  }

  pdOk(pd: number): boolean {
    return Number.isInteger(pd) && pd > 0 && pd < this.pdLive.length && this.pdLive[pd] === 1
  }

  freePd(pd: number): number {
    if (!this.pdOk(pd)) return C.INVALID_HANDLE
    if (this.pdRefs[pd]! > 0) return C.BUSY
    this.pdLive[pd] = 0
    this.nPds--
    return C.OK
  }

  // -------------------------------------------------------------------------------------------------------------
  // key table

  private allocRow(kind: number, pd: number): number {
    const row = this.kFree.pop()
    if (row === undefined) return -1
    this.kKind[row] = kind
    this.kState[row] = 0
    this.kPd[row] = pd
    this.kAcc[row] = 0
    this.kVa[row] = 0
    this.kLen[row] = 0
    this.kPhys[row] = -1
    this.kStore[row] = 0
    this.kBound[row] = 0
    this.kParent[row] = -1
    this.bumpGen(row)
    this.pdRefs[pd]!++
    return row
  }

  /**
   * A row's registration changed (any field a check reads): new generation, and the key-table epoch moves on, which
   * invalidates the checked-key caches.
   */
  private bumpGen(row: number): void {
    this.kGen[row] = (this.kGen[row]! + 1) & 0xff
    this.keyEpoch++
  }

  keyOf(row: number): number {
    return ((row << 8) | this.kGen[row]!) >>> 0
  }

  rowOk(row: number, kind: number): boolean {
    return Number.isInteger(row) && row >= 1 && row < this.kCap && this.kKind[row] === kind
  }

  /** Creates an MR object (normal or fast-register) in a PD; returns its row (handle) or -code. */
  createMr(pd: number, fastRegister: boolean): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (!this.pdOk(pd)) return -C.INVALID_HANDLE
    if (this.nMrs >= this.config.maxMrs) return -C.NO_RESOURCES
    const row = this.allocRow(fastRegister ? KIND_FR : KIND_MR, pd)
    if (row < 0) return -C.NO_RESOURCES
    this.nMrs++
    return row
  }

  registerMr(mr: number, va: number, len: number, access: number): number {
    if (this.removed) return C.DEVICE_REMOVED
    if (this.rowOk(mr, KIND_FR)) return C.WRONG_MR_KIND
    if (!this.rowOk(mr, KIND_MR)) return C.INVALID_HANDLE
    if (this.kState[mr] !== 0) return C.INVALID_STATE
    if (!Number.isFinite(va) || !Number.isFinite(len) || (access & ~0xf) !== 0) return C.INVALID_ARGUMENT
    if (len === 0) return C.ZERO_LENGTH
    if (len < 0) return C.INVALID_ARGUMENT
    if (len > this.config.maxRegistration) return C.LIMIT_EXCEEDED
    if (!this.inHost(va, len)) return C.BAD_ADDRESS
    this.kState[mr] = 1
    this.kAcc[mr] = (access & A_RW) !== 0 ? access | A_LW : access
    this.kVa[mr] = va
    this.kLen[mr] = len
    this.kPhys[mr] = this.hostPhys(va)
    this.kStore[mr] = 0
    this.bumpGen(mr)
    return C.OK
  }

  /**
   * Slow path: a caller buffer outside the arena (what an MDL over caller pages describes), registered at the VA
   * the caller names (`va` ≥ 1, the range below 2^53), or — with `va` < 0 — at a synthetic VA of its own. Every
   * access goes through the same key, PD, rights and bounds checks as arena regions; copies use the buffer's own
   * view, limited to `[va, va + buf.length)`. Returns the VA (≥ 1) or -code.
   */
  registerExternal(mr: number, buf: Uint8Array, access: number, va = -1): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (this.rowOk(mr, KIND_FR)) return -C.WRONG_MR_KIND
    if (!this.rowOk(mr, KIND_MR)) return -C.INVALID_HANDLE
    if (this.kState[mr] !== 0) return -C.INVALID_STATE
    if (!(buf instanceof Uint8Array) || !Number.isInteger(access) || (access & ~0xf) !== 0) return -C.INVALID_ARGUMENT
    if (!Number.isFinite(va) || (va >= 0 && (!Number.isSafeInteger(va) || va === 0))) return -C.INVALID_ARGUMENT
    if (buf.length === 0) return -C.ZERO_LENGTH
    if (buf.length > this.config.maxRegistration || buf.length > EXTERNAL_SPAN) return -C.LIMIT_EXCEEDED
    if (va >= 0 && !Number.isSafeInteger(va + buf.length)) return -C.BAD_ADDRESS
    const store = this.fabric.phys.addStore(buf)
    if (va < 0) va = EXTERNAL_BASE + mr * EXTERNAL_SPAN
    this.kState[mr] = 1
    this.kAcc[mr] = (access & A_RW) !== 0 ? access | A_LW : access
    this.kVa[mr] = va
    this.kLen[mr] = buf.length
    this.kPhys[mr] = 0
    this.kStore[mr] = store
    this.bumpGen(mr)
    return va
  }

  deregisterMr(mr: number): number {
    if (this.rowOk(mr, KIND_FR)) return C.WRONG_MR_KIND
    if (!this.rowOk(mr, KIND_MR)) return C.INVALID_HANDLE
    if (this.kState[mr] !== 1) return C.INVALID_STATE
    if (this.kBound[mr]! > 0) return C.BUSY
    this.unregisterRow(mr)
    return C.OK
  }

  private unregisterRow(mr: number): void {
    if (this.kStore[mr]! > 0) this.fabric.phys.removeStore(this.kStore[mr]!)
    this.kStore[mr] = 0
    this.kState[mr] = 0
    this.bumpGen(mr)
  }

  initFastRegister(mr: number, pages: number, remoteAccess: boolean): number {
    if (this.removed) return C.DEVICE_REMOVED
    if (this.rowOk(mr, KIND_MR)) return C.WRONG_MR_KIND
    if (!this.rowOk(mr, KIND_FR)) return C.INVALID_HANDLE
    if (this.kState[mr] !== 0) return C.INVALID_STATE
    if (!Number.isInteger(pages) || pages <= 0) return C.INVALID_ARGUMENT
    if (pages > this.config.maxFrPages) return C.LIMIT_EXCEEDED
    this.kState[mr] = 1
    this.kFrMax[mr] = pages
    this.kFrRemote[mr] = remoteAccess ? 1 : 0
    this.kPages[mr] = new Float64Array(pages)
    this.bumpGen(mr)
    return C.OK
  }

  destroyMr(mr: number): number {
    if (!this.rowOk(mr, KIND_MR) && !this.rowOk(mr, KIND_FR)) return C.INVALID_HANDLE
    if (this.kBound[mr]! > 0) return C.BUSY
    if (this.kKind[mr] === KIND_MR && this.kState[mr] === 1) this.unregisterRow(mr)
    this.freeRow(mr)
    this.nMrs--
    return C.OK
  }

  private freeRow(row: number): void {
    this.pdRefs[this.kPd[row]!]!--
    this.kKind[row] = KIND_FREE
    this.kState[row] = 0
    this.kPages[row] = undefined
    this.bumpGen(row)
    this.kFree.push(row)
  }

  createMw(pd: number): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (!this.pdOk(pd)) return -C.INVALID_HANDLE
    if (this.nMws >= this.config.maxMws) return -C.NO_RESOURCES
    const row = this.allocRow(KIND_MW, pd)
    if (row < 0) return -C.NO_RESOURCES
    this.nMws++
    return row
  }

  destroyMw(mw: number): number {
    if (!this.rowOk(mw, KIND_MW)) return C.INVALID_HANDLE
    if (this.kState[mw] === 1) this.unbindMw(mw)
    this.freeRow(mw)
    this.nMws--
    return C.OK
  }

  private unbindMw(mw: number): void {
    const p = this.kParent[mw]!
    if (p >= 0 && this.kBound[p]! > 0) this.kBound[p]!--
    this.kParent[mw] = -1
    this.kState[mw] = 0
    this.bumpGen(mw)
  }

  /** Key of an MR/MW row if valid (registered / fast-registered / bound), else -1. */
  validKey(row: number): number {
    if (!Number.isInteger(row) || row < 1 || row >= this.kCap) return -1
    const k = this.kKind[row]
    if (k === KIND_MR && this.kState[row] === 1) return this.keyOf(row)
    if (k === KIND_FR && this.kState[row] === 2) return this.keyOf(row)
    if (k === KIND_MW && this.kState[row] === 1) return this.keyOf(row)
    if (k === KIND_FR && this.kState[row] === 1) return this.keyOf(row)
    return -1
  }

  // LAM (logical address mapping): page-level IOMMU for privileged-key and fast-register addresses
  mapLogical(va: number, len: number, out: Array<number>): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (!(len > 0)) return -C.ZERO_LENGTH
    if (!this.inHost(va, len)) return -C.BAD_ADDRESS
    const off = va - VA_BASE
    const first = Math.floor(off / PAGE)
    const last = Math.floor((off + len - 1) / PAGE)
    for (let p = first; p <= last; p++) {
      this.lamRefs[p] = Math.min(0xffff, this.lamRefs[p]! + 1)
      out.push(LOGICAL_BASE + p * PAGE)
    }
    return off % PAGE
  }

  unmapLogical(pages: ReadonlyArray<number>): void {
    for (const la of pages) {
      const p = Math.floor((la - LOGICAL_BASE) / PAGE)
      if (p >= 0 && p < this.lamRefs.length && this.lamRefs[p]! > 0) this.lamRefs[p]!--
    }
  }

  private logicalOk(la: number, len: number): boolean {
    const off = la - LOGICAL_BASE
    if (!(off >= 0) || off + len > this.hostSize) return false
    const first = Math.floor(off / PAGE)
    const last = Math.floor((off + Math.max(len, 1) - 1) / PAGE)
    for (let p = first; p <= last; p++) if (this.lamRefs[p] === 0) return false
    return true
  }

  /** Resolves (row, va) to a contiguous physical chunk: sets R_store, R_phys, R_avail. */
  private resolve(row: number, va: number): void {
    if (row === ROW_INLINE) {
      R_store = 0
      R_phys = va
      R_avail = Infinity
      return
    }
    if (row === ROW_LOGICAL) {
      R_store = 0
      R_phys = this.hostBase + (va - LOGICAL_BASE)
      R_avail = Infinity
      return
    }
    if (this.kKind[row] === KIND_MW) row = this.kParent[row]!
    if (row < 0) {
      R_avail = 0
      return
    }
    if (va < this.kVa[row]!) {
      R_avail = 0
      return
    }
    const phys = this.kPhys[row]!
    if (phys >= 0) {
      R_store = this.kStore[row]!
      R_phys = phys + (va - this.kVa[row]!)
      R_avail = this.kVa[row]! + this.kLen[row]! - va
      return
    }
    const pages = this.kPages[row]
    if (pages === undefined) {
      R_avail = 0
      return
    }
    const off = va - this.kVa[row]! + this.kFbo[row]!
    const pg = Math.floor(off / PAGE)
    const within = off - pg * PAGE
    R_store = 0
    R_phys = this.hostBase + (pages[pg]! - LOGICAL_BASE) + within
    R_avail = Math.min(PAGE - within, this.kVa[row]! + this.kLen[row]! - va)
  }

  /** The one DMA path: copies `len` bytes from (src NIC, row, va) to (this NIC, row, va). */
  dma(dstRow: number, dstVa: number, src: NicCore, srcRow: number, srcVa: number, len: number): boolean {
    if (dstRow > 0 && srcRow > 0) {
      // fast path: both sides contiguous rows in the shared memory, range inside both rows
      const dp = this.kPhys[dstRow]!
      const sp = src.kPhys[srcRow]!
      if (dp >= 0 && sp >= 0 && this.kStore[dstRow] === 0 && src.kStore[srcRow] === 0) {
        const dOff = dstVa - this.kVa[dstRow]!
        const sOff = srcVa - src.kVa[srcRow]!
        if (dOff >= 0 && sOff >= 0 && dOff + len <= this.kLen[dstRow]! && sOff + len <= src.kLen[srcRow]!) {
          this.fabric.phys.copy(dp + dOff, sp + sOff, len)
          return true
        }
      }
    }
    return this.dmaChunks(dstRow, dstVa, src, srcRow, srcVa, len)
  }

  /** `dma` chunk by chunk (inline / logical / fast-registered pages / external stores), every chunk resolved. */
  private dmaChunks(dstRow: number, dstVa: number, src: NicCore, srcRow: number, srcVa: number, len: number): boolean {
    const phys = this.fabric.phys
    while (len > 0) {
      src.resolve(srcRow, srcVa)
      const ss = R_store
      const sp = R_phys
      const sa = R_avail
      this.resolve(dstRow, dstVa)
      const n = Math.min(len, sa, R_avail)
      if (!(n > 0)) return false
      if (!phys.copyStores(R_store, R_phys, ss, sp, n)) return false
      len -= n
      srcVa += n
      dstVa += n
    }
    return true
  }

  /**
   * `dma` of a burst: `len` bytes that travelled as MTU segments of `seg` bytes on a fault-free zero-latency link.
   * When both rows are contiguous and hold the whole range, the row lookups and bounds checks are done once and
   * the burst is placed with one copy (the segments are adjacent on both sides); otherwise segment by segment.
   */
  dmaSegments(
    dstRow: number,
    dstVa: number,
    src: NicCore,
    srcRow: number,
    srcVa: number,
    len: number,
    seg: number
  ): void {
    if (dstRow > 0 && srcRow > 0) {
      const dp = this.kPhys[dstRow]!
      const sp = src.kPhys[srcRow]!
      if (dp >= 0 && sp >= 0 && this.kStore[dstRow] === 0 && src.kStore[srcRow] === 0) {
        const dOff = dstVa - this.kVa[dstRow]!
        const sOff = srcVa - src.kVa[srcRow]!
        if (dOff >= 0 && sOff >= 0 && dOff + len <= this.kLen[dstRow]! && sOff + len <= src.kLen[srcRow]!) {
          this.fabric.phys.copy(dp + dOff, sp + sOff, len)
          return
        }
      }
    }
    for (let off = 0; off < len; off += seg) {
      this.dma(dstRow, dstVa + off, src, srcRow, srcVa + off, len - off < seg ? len - off : seg)
    }
  }

  /** Inline payload from a caller-buffer (external) region, through its key and bounds; false on violation. */
  private copyInlineExternal(pd: number, key: number, va: number, len: number, dst: number): boolean {
    const row = this.checkLocal(pd, key, va, len, false, false)
    if (row <= 0 || this.kStore[row]! === 0) return false
    return this.fabric.phys.copyStores(0, dst, this.kStore[row]!, va - this.kVa[row]!, len)
  }

  /** Checks a local SGE; returns the row to use, or -1 on violation. */
  private checkLocal(pd: number, key: number, va: number, len: number, write: boolean, sink: boolean): number {
    if (len === 0) return ROW_NONE
    let row: number
    if (key === this.lkKey && pd === this.lkPd && this.keyEpoch === this.lkEpoch) row = this.lkRow
    else {
      if (key === PRIVILEGED_KEY) return this.logicalOk(va, len) ? ROW_LOGICAL : -1
      row = this.localRow(pd, key)
      if (row < 0) return -1
    }
    const base = this.kVa[row]!
    if (va < base || va + len > base + this.kLen[row]!) return -1
    const acc = this.kAcc[row]!
    if (write && (acc & A_LW) === 0) return -1
    if (sink && !this.config.readSinkNotRequired && (acc & A_SINK) === 0) return -1
    return row
  }

  /** The row of a valid local key (registered MR / fast-registered FR-MR of `pd`), cached; -1 if none. */
  private localRow(pd: number, key: number): number {
    const row = key >>> 8
    if (row < 1 || row >= this.kCap || this.kGen[row] !== (key & 0xff) || this.kPd[row] !== pd) return -1
    const kind = this.kKind[row]
    if (!((kind === KIND_MR && this.kState[row] === 1) || (kind === KIND_FR && this.kState[row] === 2))) return -1
    this.lkKey = key
    this.lkPd = pd
    this.lkRow = row
    this.lkEpoch = this.keyEpoch
    return row
  }

  /** Checks a remote access; returns row or -(NAK syndrome). */
  private checkRemote(pd: number, key: number, va: number, len: number, write: boolean): number {
    let row: number
    if (key === this.rkKey && pd === this.rkPd && this.keyEpoch === this.rkEpoch) row = this.rkRow
    else {
      row = key >>> 8
      if (row < 1 || row >= this.kCap || this.kGen[row] !== (key & 0xff) || this.kPd[row] !== pd) {
        return -NAK_REM_ACCESS
      }
      const kind = this.kKind[row]
      const st = this.kState[row]
      if (
        !((kind === KIND_MR && st === 1) || (kind === KIND_FR && st === 2) || (kind === KIND_MW && st === 1))
      ) return -NAK_REM_ACCESS
      this.rkKey = key
      this.rkPd = pd
      this.rkRow = row
      this.rkEpoch = this.keyEpoch
    }
    const acc = this.kAcc[row]!
    if ((acc & (write ? A_RW : A_RR)) === 0) return -NAK_REM_ACCESS
    const base = this.kVa[row]!
    if (!(va >= base && va + len <= base + this.kLen[row]!)) return write ? -NAK_REM_ACCESS : -NAK_REM_RANGE
    return row
  }

  // -------------------------------------------------------------------------------------------------------------
  // CQ

  createCq(depth: number, handler: Handler | undefined): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (!Number.isInteger(depth) || depth <= 0) return -C.INVALID_ARGUMENT
    if (depth > this.config.maxCqDepth) return -C.LIMIT_EXCEEDED
    let id = -1
    let live = 0
    for (let i = 0; i < this.cqs.length; i++) {
      if (this.cqs[i] !== undefined) live++
      else if (id < 0) id = i
    }
    if (live >= this.config.maxCqs) return -C.NO_RESOURCES
    if (id < 0) id = this.cqs.length
    this.cqs[id] = new Cq(id, depth, handler)
    return id
  }

  cq(id: number): Cq | undefined {
    const c = Number.isInteger(id) ? this.cqs[id] : undefined
    return c
  }

  destroyCq(id: number): number {
    const c = this.cq(id)
    if (c === undefined) return C.INVALID_HANDLE
    if (c.refs > 0) return C.BUSY
    c.live = false
    this.cqs[id] = undefined
    return C.OK
  }

  resizeCq(id: number, depth: number): number {
    const c = this.cq(id)
    if (c === undefined) return C.INVALID_HANDLE
    if (this.removed) return C.DEVICE_REMOVED
    if (!this.config.cqResize) return C.NOT_SUPPORTED
    if (!Number.isInteger(depth) || depth <= 0) return C.INVALID_ARGUMENT
    if (depth > this.config.maxCqDepth) return C.LIMIT_EXCEEDED
    if (depth < c.count) return C.CQ_TOO_SMALL
    const status = new Uint8Array(depth)
    const opcode = new Uint8Array(depth)
    const qpn = new Uint32Array(depth)
    const bytes = new Float64Array(depth)
    const key = new Uint32Array(depth)
    const ctx = new Array<unknown>(depth)
    for (let i = 0; i < c.count; i++) {
      const j = (c.head + i) % c.depth
      status[i] = c.status[j]!
      opcode[i] = c.opcode[j]!
      qpn[i] = c.qpn[j]!
      bytes[i] = c.bytes[j]!
      key[i] = c.key[j]!
      ctx[i] = c.ctx[j]
    }
    c.status = status
    c.opcode = opcode
    c.qpn = qpn
    c.bytes = bytes
    c.key = key
    c.ctx = ctx
    c.head = 0
    c.depth = depth
    return C.OK
  }

  private event(h: Handler | undefined, code: number): void {
    if (h === undefined) return
    this.evHandlers.push(h)
    this.evCodes.push(code)
  }

  armCq(id: number, type: number): number {
    const c = this.cq(id)
    if (c === undefined) return C.INVALID_HANDLE
    if (type !== 1 && type !== 2) return C.INVALID_ARGUMENT
    if (c.failed !== 0 || this.removed) return C.OK
    c.armed = c.armed === 1 || type === 1 ? 1 : 2
    // completions that arrived after the last notification and are still queued satisfy the arm at once
    const consumedUpTo = c.produced - c.count
    if (c.armed === 1 && c.produced > c.notified && c.count > 0) this.fire(c)
    else if (c.armed === 2 && c.lastSol > c.notified && c.lastSol > consumedUpTo) this.fire(c)
    if (this.evCodes.length > 0) this.wake()
    return C.OK
  }

  private fire(c: Cq): void {
    c.armed = 0
    c.notified = c.produced
    this.event(c.handler, C.CQ_NOTIFY)
  }

  private cqFail(c: Cq, code: number): void {
    if (c.failed !== 0) return
    c.failed = code
    c.armed = 0
    if (code === C.CQ_OVERRUN) {
      // an overrun CQ reports nothing more; a CQ of a failed device keeps what it holds (pollable)
      for (let i = 0; i < c.depth; i++) c.ctx[i] = undefined
      c.count = 0
    }
    this.event(c.handler, code)
    for (const q of this.qps) {
      if (q !== undefined && (q.sendCq === c || q.recvCq === c) && q.state !== QP_ERROR) this.errorQps.push(q)
    }
  }

  private pushCqe(
    c: Cq,
    status: number,
    opcode: number,
    qpn: number,
    bytes: number,
    key: number,
    ctx: unknown,
    sol: boolean
  ): void {
    if (c.failed !== 0 || !c.live) return
    if (c.count === c.depth) {
      this.cqFail(c, C.CQ_OVERRUN)
      return
    }
    let j = c.head + c.count
    if (j >= c.depth) j -= c.depth
    c.status[j] = status
    c.opcode[j] = opcode
    c.qpn[j] = qpn
    c.bytes[j] = bytes
    c.key[j] = key
    c.ctx[j] = ctx
    c.count++
    c.produced++
    if (status !== 0 || sol) c.lastSol = c.produced
    if (c.armed !== 0 && (c.armed === 1 || status !== 0 || sol)) this.fire(c)
  }

  pollCq(id: number, max: number, out: ResultsLike, offset = 0): number {
    const c = this.cq(id)
    if (c === undefined || c.failed === C.CQ_OVERRUN) return 0
    let n = c.count < max ? c.count : max
    if (n < 0) n = 0
    let j = c.head
    const d = c.depth
    if (n >= BULK_POLL) {
      // many entries: the typed fields move as (at most two) block copies, the contexts one by one
      const first = n < d - j ? n : d - j
      this.pollBlock(c, j, first, out, offset)
      if (first < n) this.pollBlock(c, 0, n - first, out, offset + first)
      j += n
      if (j >= d) j -= d
    } else {
      for (let i = 0; i < n; i++) {
        const k = offset + i
        out.status[k] = c.status[j]!
        out.opcode[k] = c.opcode[j]!
        out.qpn[k] = c.qpn[j]!
        out.bytes[k] = c.bytes[j]!
        out.key[k] = c.key[j]!
        out.context[k] = c.ctx[j]
        c.ctx[j] = undefined
        if (++j === d) j = 0
      }
    }
    c.head = j
    c.count -= n
    return n
  }

  /** Copies `n` CQEs from ring slot `j` (no wrap) to `out` at `k`, clearing the ring's contexts. */
  private pollBlock(c: Cq, j: number, n: number, out: ResultsLike, k: number): void {
    const e = j + n
    out.status.set(c.status.subarray(j, e), k)
    out.opcode.set(c.opcode.subarray(j, e), k)
    out.qpn.set(c.qpn.subarray(j, e), k)
    out.bytes.set(c.bytes.subarray(j, e), k)
    out.key.set(c.key.subarray(j, e), k)
    const ctx = c.ctx
    const oc = out.context
    for (let i = 0; i < n; i++) {
      oc[k + i] = ctx[j + i]
      ctx[j + i] = undefined
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // SRQ

  createSrq(pd: number, depth: number, maxSge: number, limit: number, handler: Handler | undefined): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (!this.pdOk(pd)) return -C.INVALID_HANDLE
    if (this.config.maxSrqDepth === 0) return -C.NOT_SUPPORTED
    if (!Number.isInteger(depth) || depth <= 0 || !Number.isInteger(maxSge) || maxSge < 0) return -C.INVALID_ARGUMENT
    if (depth > this.config.maxSrqDepth || maxSge > this.config.maxRecvSge) return -C.LIMIT_EXCEEDED
    let id = -1
    let live = 0
    for (let i = 0; i < this.srqs.length; i++) {
      if (this.srqs[i] !== undefined) live++
      else if (id < 0) id = i
    }
    if (live >= this.config.maxSrqs) return -C.NO_RESOURCES
    if (id < 0) id = this.srqs.length
    const s = new Srq(id, pd, depth, maxSge, handler)
    s.limit = limit > 0 ? limit : 0
    s.armed = limit > 0
    this.srqs[id] = s
    this.pdRefs[pd]!++
    return id
  }

  srq(id: number): Srq | undefined {
    return Number.isInteger(id) ? this.srqs[id] : undefined
  }

  modifySrq(id: number, depth: number, limit: number): number {
    const s = this.srq(id)
    if (s === undefined) return C.INVALID_HANDLE
    if (this.removed) return C.DEVICE_REMOVED
    if (depth > this.config.maxSrqDepth) return C.LIMIT_EXCEEDED
    if (depth > 0 && depth < s.count) return C.QUEUE_FULL
    if (depth > 0 && depth !== s.depth) {
      // resize keeping every slot index (queued receives and receives held by QPs mid-message stay put)
      const used = new Uint8Array(Math.max(depth, s.depth))
      for (let i = 0; i < s.count; i++) used[s.fifo[(s.head + i) % s.depth]!] = 1
      for (const q of this.qps) {
        if (q !== undefined && q.srq === s && q.respActive && q.respSrq) used[q.respSlot] = 1
      }
      for (let i = depth; i < s.depth; i++) if (used[i] === 1) return C.BUSY
      const r = new Float64Array(depth * s.rs)
      const ctx = new Array<unknown>(depth)
      const keep = Math.min(depth, s.depth)
      r.set(s.r.subarray(0, keep * s.rs))
      for (let i = 0; i < keep; i++) ctx[i] = s.ctx[i]
      const fifo = new Int32Array(depth)
      for (let i = 0; i < s.count; i++) fifo[i] = s.fifo[(s.head + i) % s.depth]!
      const freeSlots = new Int32Array(depth)
      let nfree = 0
      for (let i = depth - 1; i >= 0; i--) if (used[i] === 0) freeSlots[nfree++] = i
      s.depth = depth
      s.r = r
      s.ctx = ctx
      s.freeSlots = freeSlots
      s.nfree = nfree
      s.fifo = fifo
      s.head = 0
    }
    if (limit > 0) {
      s.limit = limit
      s.armed = true
      if (s.count < s.limit) {
        s.armed = false
        this.event(s.handler, C.SRQ_LIMIT)
        this.wake()
      }
    }
    return C.OK
  }

  destroySrq(id: number): number {
    const s = this.srq(id)
    if (s === undefined) return C.INVALID_HANDLE
    if (s.refs > 0) return C.BUSY
    s.live = false
    for (let i = 0; i < s.ctx.length; i++) s.ctx[i] = undefined
    this.srqs[id] = undefined
    this.pdRefs[s.pd]!--
    return C.OK
  }

  postSrqReceive(id: number, ctx: unknown, sgl: SglLike): number {
    const s = this.srq(id)
    if (s === undefined) return C.INVALID_HANDLE
    if (this.removed) return C.DEVICE_REMOVED
    if (s.failed) return C.INVALID_STATE
    const n = sgl.count
    if (!(n >= 0 && n <= 255)) return C.INVALID_ARGUMENT
    if (n > s.sgeStride) return C.TOO_MANY_SGES
    let total = 0
    for (let i = 0; i < n; i++) {
      const l = sgl.len[i]!
      if (!(l >= 0)) return C.INVALID_ARGUMENT
      total += l
    }
    if (total > this.config.maxTransfer) return C.TRANSFER_TOO_LONG
    if (s.nfree === 0) return C.QUEUE_FULL
    const slot = s.freeSlots[--s.nfree]!
    const r = s.r
    const b = slot * s.rs
    r[b + R_NSGE] = n
    for (let i = 0; i < n; i++) {
      r[b + R_ADDR + i * RSG] = sgl.addr[i]!
      r[b + R_LEN + i * RSG] = sgl.len[i]!
      r[b + R_KEY + i * RSG] = sgl.key[i]!
    }
    s.ctx[slot] = ctx
    s.fifo[(s.head + s.count) % s.depth] = slot
    s.count++
    return C.OK
  }

  // -------------------------------------------------------------------------------------------------------------
  // QP

  createQp(
    pd: number,
    sendCq: number,
    recvCq: number,
    srq: number,
    sqDepth: number,
    rqDepth: number,
    maxSendSge: number,
    maxRecvSge: number,
    maxInline: number
  ): number {
    if (this.removed) return -C.DEVICE_REMOVED
    if (!this.pdOk(pd)) return -C.INVALID_HANDLE
    const scq = this.cq(sendCq)
    const rcq = this.cq(recvCq)
    if (scq === undefined || rcq === undefined) return -C.INVALID_HANDLE
    const s = srq >= 0 ? this.srq(srq) : undefined
    if (srq >= 0 && s === undefined) return -C.INVALID_HANDLE
    if (s !== undefined && s.pd !== pd) return -C.INVALID_ARGUMENT
    const cfg = this.config
    const ints = [sqDepth, rqDepth, maxSendSge, maxRecvSge, maxInline]
    for (const v of ints) if (!Number.isInteger(v) || v < 0) return -C.INVALID_ARGUMENT
    if (sqDepth <= 0 || (s === undefined && rqDepth <= 0)) return -C.INVALID_ARGUMENT
    if (sqDepth > cfg.maxSqDepth || (s === undefined && rqDepth > cfg.maxRqDepth)) return -C.LIMIT_EXCEEDED
    if (maxSendSge > cfg.maxSendSge || (s === undefined && maxRecvSge > cfg.maxRecvSge)) return -C.LIMIT_EXCEEDED
    if (maxInline > cfg.maxInline) return -C.LIMIT_EXCEEDED
    if (this.nQps >= cfg.maxQps) return -C.NO_RESOURCES
    let slot = -1
    for (let k = 0; k < cfg.maxQps; k++) {
      const i = (this.nextQpSlot + k) % cfg.maxQps
      if (this.qps[i] === undefined) {
        slot = i
        break
      }
    }
    if (slot < 0) return -C.NO_RESOURCES
    this.nextQpSlot = (slot + 1) % cfg.maxQps
    let inlineBase = -1
    if (maxInline > 0) {
      inlineBase = this.dev.alloc(sqDepth * maxInline)
      if (inlineBase < 0) return -C.NO_RESOURCES
    }
    this.qpGen[slot] = (this.qpGen[slot]! + 1) % 0x3fff
    const qpn = slot + this.qpSlots * this.qpGen[slot]!
    const q = new Qp(qpn, pd, scq, rcq, s, sqDepth, rqDepth, maxSendSge, maxRecvSge, maxInline, cfg.mtu, this)
    q.inlineBase = inlineBase
    this.qps[slot] = q
    this.nQps++
    scq.refs++
    rcq.refs++
    if (s !== undefined) s.refs++
    this.pdRefs[pd]!++
    return qpn
  }

  qp(qpn: number): Qp | undefined {
    // a QPN is a non-negative integer below 2^32
    if ((qpn >>> 0) !== qpn) return undefined
    const q = this.qps[qpn & (this.qpSlots - 1)]
    return q !== undefined && q.qpn === qpn ? q : undefined
  }

  destroyQp(qpn: number): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    q.live = false
    q.state = QP_ERROR
    if (q.respActive && q.respSrq && q.srq !== undefined) this.releaseSrqSlot(q.srq, q.respSlot)
    q.respActive = false
    q.rdCount = 0
    if (q.drainHandler !== undefined) {
      this.checkDrains()
      this.wake()
    }
    this.qps[qpn & (this.qpSlots - 1)] = undefined
    this.nQps--
    q.sendCq.refs--
    q.recvCq.refs--
    if (q.srq !== undefined) q.srq.refs--
    this.pdRefs[q.pd]!--
    if (q.inlineBase >= 0) this.dev.free(q.inlineBase)
    this.freeCtx(q.co, q.sqCap + q.rqCap)
    this.freeRec(q.wo, q.recSize)
    if (q.sgSize > 0) this.freeRec(q.so, q.sgSize)
    return C.OK
  }

  connectQp(
    qpn: number,
    remoteAddress: number,
    remoteQpn: number,
    ird: number,
    ord: number,
    sendPsn: number,
    recvPsn: number
  ): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    if (this.removed) return C.DEVICE_REMOVED
    if (q.state !== QP_INIT) return C.INVALID_STATE
    for (const v of [ird, ord, sendPsn, recvPsn, remoteQpn]) {
      if (!Number.isInteger(v) || v < 0) return C.INVALID_ARGUMENT
    }
    if (sendPsn >= PSN_SPACE || recvPsn >= PSN_SPACE) return C.INVALID_ARGUMENT
    if (ird > this.config.maxIrd || ord > this.config.maxOrd) return C.LIMIT_EXCEEDED
    const port = this.fabric.byAddress.get(remoteAddress)
    if (port === undefined) return C.ADDRESS_IN_USE
    if (port === (this as Port) && !this.config.loopback) return C.NOT_SUPPORTED
    q.remotePort = port
    q.remoteAddress = remoteAddress
    q.remoteQpn = remoteQpn
    q.ird = ird
    q.ord = ord
    q.rdCount = 0
    q.nextPsn = sendPsn
    q.curPsn = sendPsn
    q.ackPsn = sendPsn - 1
    q.ePsn = recvPsn
    q.retryLeft = this.config.retryCount
    q.rnrLeft = this.config.rnrRetry
    q.state = QP_RTS
    if (q.sqBell > q.sqReq) this.makeReady(q)
    return C.OK
  }

  /** Moves a QP to error and flushes every outstanding WR (flush verb / disconnect / modify to error). */
  qpToError(qpn: number): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    this.errorQp(q, 0, C.FLUSHED)
    if (this.drainWatch.length > 0) this.checkDrains()
    if (this.evCodes.length > 0) this.wake()
    return C.OK
  }

  // -------------------------------------------------------------------------------------------------------------
  // work in flight (what a graceful disconnect waits for)

  /**
   * True while the QP has work in flight: send-queue WRs submitted (doorbell rung) and not yet completed — silent
   * ones included (they complete when acknowledged) — or responder-side DMA in progress (a send or write message
   * partly placed, read responses still to send). A QP that is not connected (init, error, destroyed) has none.
   */
  inFlight(q: Qp): boolean {
    if (!q.live || q.state !== QP_RTS) return false
    return q.sqHead < q.sqBell || q.respActive || q.respWriting || q.rdCount > 0
  }

  /**
   * Calls `handler(QP_DRAINED)` once, after a pass, when the QP has no work in flight (at once if it has none now;
   * also when it goes to error or is destroyed). A second watch replaces the first. Returns a NIC code.
   */
  watchDrain(qpn: number, handler: Handler): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    if (!this.inFlight(q)) {
      if (q.drainHandler !== undefined) q.drainHandler = undefined
      this.event(handler, C.QP_DRAINED)
      this.wake()
      return C.OK
    }
    if (q.drainHandler === undefined) this.drainWatch.push(q)
    q.drainHandler = handler
    return C.OK
  }

  /** Removes a QP's drain watch (its handler is not called). */
  unwatchDrain(qpn: number): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    q.drainHandler = undefined
    return C.OK
  }

  /** Fires the drain watches whose QPs have nothing in flight (after a pass, a flush, a destroy). */
  private checkDrains(): void {
    const list = this.drainWatch
    let keep = 0
    for (let k = 0; k < list.length; k++) {
      const q = list[k]!
      const h = q.drainHandler
      if (h === undefined) continue
      if (this.inFlight(q)) {
        list[keep++] = q
        continue
      }
      q.drainHandler = undefined
      this.event(h, C.QP_DRAINED)
    }
    list.length = keep
  }

  // -------------------------------------------------------------------------------------------------------------
  // posting

  postReceive(qpn: number, ctx: unknown, sgl: SglLike): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    if (this.removed) return C.DEVICE_REMOVED
    if (q.srq !== undefined) return C.INVALID_STATE
    if (q.recvCq.failed !== 0) return C.CQ_IN_ERROR
    const n = sgl.count
    if (!(n >= 0 && n <= 255)) return C.INVALID_ARGUMENT
    if (n > q.maxRecvSge) return C.TOO_MANY_SGES
    // when the queue has room, the SGEs go straight into the (not yet committed) tail slot while validated
    const full = q.rqTail - q.rqHead >= q.rqDepth
    const slot = q.rqTail & q.rqMask
    const r = this.rec
    const b = q.ro + slot * q.rs
    let total = 0
    for (let i = 0; i < n; i++) {
      const l = sgl.len[i]!
      if (!(l >= 0)) return C.INVALID_ARGUMENT
      total += l
      if (!full) {
        const o = b + i * RSG
        r[o + R_ADDR] = sgl.addr[i]!
        r[o + R_LEN] = l
        r[o + R_KEY] = sgl.key[i]!
      }
    }
    if (total > this.maxTransfer) return C.TRANSFER_TOO_LONG
    if (full) return C.QUEUE_FULL
    r[b + R_NSGE] = n
    this.ctxs[q.rco + slot] = ctx
    q.rqTail++
    if (q.state === QP_ERROR) {
      this.flushRq(q)
      if (this.evCodes.length > 0) this.wake()
    }
    return C.OK
  }

  private preparePost(q: Qp | undefined, op: number, flags: number): number {
    if (q === undefined) return C.INVALID_HANDLE
    if (this.removed) return C.DEVICE_REMOVED
    if ((flags & ~ALLOWED_FLAGS[op]!) !== 0 || !Number.isInteger(flags)) return C.INVALID_FLAGS
    if (q.sendCq.failed !== 0) return C.CQ_IN_ERROR
    if (q.state === QP_INIT) return C.QP_NOT_CONNECTED
    if (q.sqTail - q.sqHead >= q.sqDepth) return C.QUEUE_FULL
    return C.OK
  }

  /** Rings the doorbell for WRs posted with DEFER (also done by any failing post on the QP). */
  ringDoorbell(qpn: number): number {
    const q = this.qp(qpn)
    if (q === undefined) return C.INVALID_HANDLE
    this.bell(q)
    return C.OK
  }

  private bell(q: Qp): void {
    if (q.sqBell === q.sqTail) return
    q.sqBell = q.sqTail
    if (q.state === QP_RTS) this.makeReady(q)
    else if (q.state === QP_ERROR) this.flushSq(q, q.sqHead)
  }

  private fail(q: Qp | undefined, code: number): number {
    if (q !== undefined && code !== C.INVALID_HANDLE) this.bell(q)
    return code
  }

  private commit(q: Qp, flags: number): number {
    q.sqTail++
    if ((flags & F_DEFER) === 0) this.bell(q)
    if (this.evCodes.length > 0) this.wake()
    return C.OK
  }

  private begin(q: Qp, op: number, flags: number, ctx: unknown): number {
    const i = q.sqTail & q.sqMask
    this.rec[q.wo + i * WS + W_OP] = op
    this.rec[q.wo + i * WS + W_FLAGS] = flags
    this.rec[q.wo + i * WS + W_ST] = 0
    this.rec[q.wo + i * WS + W_STARTED] = 0
    this.rec[q.wo + i * WS + W_NSGE] = 0
    this.rec[q.wo + i * WS + W_TOTAL] = 0
    this.ctxs[q.co + i] = ctx
    return i
  }

  /** Widens the per-WQE SGE stride (reads may carry more SGEs than the QP's send limit). */
  private widen(q: Qp, n: number): void {
    const old = q.sStride
    const size = q.sqCap * n * SGS
    const so = this.allocRec(size)
    const rec = this.rec
    for (let i = 0; i < q.sqCap; i++) {
      rec.copyWithin(so + i * n * SGS, q.so + i * old * SGS, q.so + (i + 1) * old * SGS)
    }
    if (q.sgSize > 0) this.freeRec(q.so, q.sgSize)
    q.so = so
    q.sgSize = size
    q.sStride = n
  }

  /** SEND, SEND_INV (with ikey), WRITE (raddr/rkey), READ (raddr/rkey). */
  postData(
    qpn: number,
    op: number,
    ctx: unknown,
    sgl: SglLike,
    flags: number,
    raddr: number,
    rkey: number,
    ikey: number
  ): number {
    const q = this.qp(qpn)
    const pre = this.preparePost(q, op, flags)
    if (pre !== C.OK) return this.fail(q, pre)
    const qq = q!
    const n = sgl.count
    if (!(n >= 0 && n <= 255)) return this.fail(qq, C.INVALID_ARGUMENT)
    const inline = (flags & F_INLINE) !== 0
    const i = qq.sqTail & qq.sqMask
    // the slot at the tail is free (the queue is not full) and not yet committed: the SGEs are written there while
    // they are validated (when they fit its stride); a failing post leaves nothing behind
    const direct = !inline && n <= qq.sStride
    let sg = this.rec
    const b = i * qq.sStride
    let total = 0
    for (let k = 0; k < n; k++) {
      const l = sgl.len[k]!
      if (!(l >= 0) || !Number.isInteger(l)) return this.fail(qq, C.INVALID_ARGUMENT)
      total += l
      if (direct) {
        const o = qq.so + (b + k) * SGS
        sg[o + SG_ADDR] = sgl.addr[k]!
        sg[o + SG_LEN] = l
        sg[o + SG_KEY] = sgl.key[k]!
      }
    }
    if (inline) {
      if (total > qq.maxInline) return this.fail(qq, C.INLINE_TOO_LONG)
    } else if (n > (op === OP_READ ? this.config.maxReadSge : qq.maxSendSge)) return this.fail(qq, C.TOO_MANY_SGES)
    if (total > this.maxTransfer) return this.fail(qq, C.TRANSFER_TOO_LONG)
    if ((op === OP_WRITE || op === OP_READ) && !(Number.isFinite(raddr) && raddr >= 0)) {
      return this.fail(qq, C.INVALID_ARGUMENT)
    }
    // a connection without outbound read credits (ORD 0) can never issue a read: refused, not queued forever
    if (op === OP_READ && qq.ord === 0 && qq.state === QP_RTS) return this.fail(qq, C.INVALID_STATE)
    if (!inline && !direct) {
      // more SGEs than the slot holds (reads may carry more than the QP's send limit): widen, then copy
      this.widen(qq, n)
      sg = this.rec
      const gb = qq.so + i * qq.sStride * SGS
      for (let k = 0; k < n; k++) {
        sg[gb + k * SGS + SG_ADDR] = sgl.addr[k]!
        sg[gb + k * SGS + SG_LEN] = sgl.len[k]!
        sg[gb + k * SGS + SG_KEY] = sgl.key[k]!
      }
    }
    const w = this.rec
    const wb = qq.wo + i * WS
    w[wb + W_OP] = op
    w[wb + W_FLAGS] = flags
    w[wb + W_ST] = 0
    w[wb + W_TOTAL] = total
    w[wb + W_RADDR] = raddr
    w[wb + W_RKEY] = rkey >>> 0
    w[wb + W_IKEY] = ikey >>> 0
    this.ctxs[qq.co + i] = ctx
    if (inline) {
      // copy the payload now (the caller's buffers may change after the call returns)
      const dst = qq.inlineBase + i * qq.maxInline
      let off = 0
      for (let k = 0; k < n; k++) {
        const l = sgl.len[k]!
        const va = sgl.addr[k]!
        if (l > 0) {
          if (this.inHost(va, l)) this.fabric.phys.copy(dst + off, this.hostPhys(va), l)
          else if (!this.copyInlineExternal(qq.pd, sgl.key[k]!, va, l, dst + off)) {
            w[wb + W_ST] = C.LOCAL_PROTECTION_ERROR
            break
          }
          off += l
        }
      }
      w[wb + W_NSGE] = 1
      sg[qq.so + b * SGS + SG_ADDR] = dst
      sg[qq.so + b * SGS + SG_LEN] = total
      sg[qq.so + b * SGS + SG_KEY] = 0
      sg[qq.so + b * SGS + SG_ROW] = total > 0 ? ROW_INLINE : ROW_NONE
      w[wb + W_STARTED] = 2 // local SGEs already resolved
    } else {
      w[wb + W_STARTED] = 0
      w[wb + W_NSGE] = n
    }
    return this.commit(qq, flags)
  }

  postBind(qpn: number, ctx: unknown, mr: number, mw: number, va: number, len: number, flags: number): number {
    const q = this.qp(qpn)
    const pre = this.preparePost(q, OP_BIND, flags)
    if (pre !== C.OK) return this.fail(q, pre)
    const qq = q!
    if (!this.rowOk(mw, KIND_MW)) return this.fail(qq, C.INVALID_HANDLE)
    if (!this.rowOk(mr, KIND_MR) && !this.rowOk(mr, KIND_FR)) return this.fail(qq, C.INVALID_HANDLE)
    if (!Number.isFinite(va) || !Number.isFinite(len) || len < 0) return this.fail(qq, C.INVALID_ARGUMENT)
    if (len === 0) return this.fail(qq, C.ZERO_LENGTH)
    if (len > this.config.maxWindow) return this.fail(qq, C.LIMIT_EXCEEDED)
    const rw = (flags & F_A_RWRITE) === F_A_RWRITE
    const rr = (flags & F_A_RREAD) !== 0
    if (rw && (this.kAcc[mr]! & A_LW) === 0) return this.fail(qq, C.ACCESS_DENIED)
    const i = this.begin(qq, OP_BIND, flags, ctx)
    const mrValid = (this.kKind[mr] === KIND_MR && this.kState[mr] === 1) ||
      (this.kKind[mr] === KIND_FR && this.kState[mr] === 2)
    const base = this.kVa[mr]!
    if (
      !mrValid || this.kState[mw] !== 0 || this.kPd[mw] !== qq.pd || this.kPd[mr] !== qq.pd ||
      va < base || va + len > base + this.kLen[mr]! || (!rw && !rr)
    ) {
      this.rec[qq.wo + i * WS + W_ST] = C.LOCAL_OPERATION_ERROR
    } else {
      this.kState[mw] = 1
      this.kParent[mw] = mr
      this.kVa[mw] = va
      this.kLen[mw] = len
      this.kAcc[mw] = (rr ? A_RR : 0) | (rw ? A_RW | A_LW : 0)
      this.bumpGen(mw)
      this.kBound[mr]!++
    }
    return this.commit(qq, flags)
  }

  postFastRegister(
    qpn: number,
    ctx: unknown,
    mr: number,
    pages: ArrayLike<number>,
    pageCount: number,
    fbo: number,
    len: number,
    baseVa: number,
    flags: number
  ): number {
    const q = this.qp(qpn)
    const pre = this.preparePost(q, OP_FR, flags)
    if (pre !== C.OK) return this.fail(q, pre)
    const qq = q!
    if (this.rowOk(mr, KIND_MR)) return this.fail(qq, C.WRONG_MR_KIND)
    if (!this.rowOk(mr, KIND_FR)) return this.fail(qq, C.INVALID_HANDLE)
    if (this.kState[mr] === 0) return this.fail(qq, C.INVALID_STATE)
    const remote = (flags & (F_A_RREAD | 0x20)) !== 0
    if (remote && this.kFrRemote[mr] === 0) return this.fail(qq, C.ACCESS_DENIED)
    if (!Number.isInteger(pageCount) || pageCount < 0 || pageCount > pages.length) {
      return this.fail(qq, C.INVALID_ARGUMENT)
    }
    if (pageCount > this.kFrMax[mr]!) return this.fail(qq, C.LIMIT_EXCEEDED)
    if (!Number.isInteger(len) || !Number.isInteger(fbo) || !Number.isFinite(baseVa)) {
      return this.fail(qq, C.INVALID_ARGUMENT)
    }
    if (len === 0) return this.fail(qq, C.ZERO_LENGTH)
    if (fbo < 0 || fbo >= PAGE || baseVa < 0 || baseVa % PAGE !== fbo || len > pageCount * PAGE - fbo) {
      return this.fail(qq, C.BAD_ALIGNMENT)
    }
    for (let k = 0; k < pageCount; k++) {
      const p = pages[k]!
      if (p % PAGE !== 0) return this.fail(qq, C.BAD_ALIGNMENT)
      if (!this.logicalOk(p, PAGE)) return this.fail(qq, C.BAD_ADDRESS)
    }
    const i = this.begin(qq, OP_FR, flags, ctx)
    if (this.kState[mr] === 2 || this.kPd[mr] !== qq.pd) {
      this.rec[qq.wo + i * WS + W_ST] = C.LOCAL_OPERATION_ERROR
    } else {
      const pg = this.kPages[mr]!
      let contiguous = true
      for (let k = 0; k < pageCount; k++) {
        pg[k] = pages[k]!
        if (k > 0 && pg[k] !== pg[k - 1]! + PAGE) contiguous = false
      }
      this.kState[mr] = 2
      this.kVa[mr] = baseVa
      this.kLen[mr] = len
      this.kFbo[mr] = fbo
      this.kStore[mr] = 0
      this.kPhys[mr] = contiguous ? this.hostBase + (pg[0]! - LOGICAL_BASE) + fbo : -1
      let acc = 0
      if ((flags & F_A_LWRITE) !== 0) acc |= A_LW
      if ((flags & F_A_RREAD) !== 0) acc |= A_RR
      if ((flags & 0x20) !== 0) acc |= A_RW | A_LW
      if ((flags & F_SINK) !== 0) acc |= A_SINK
      this.kAcc[mr] = acc
      this.bumpGen(mr)
    }
    return this.commit(qq, flags)
  }

  /** Invalidates a fast-registered MR or a bound MW (by handle), in order on the send queue. */
  postInvalidate(qpn: number, ctx: unknown, target: number, flags: number): number {
    const q = this.qp(qpn)
    const pre = this.preparePost(q, OP_INV, flags)
    if (pre !== C.OK) return this.fail(q, pre)
    const qq = q!
    if (this.rowOk(target, KIND_MR)) return this.fail(qq, C.WRONG_MR_KIND)
    if (!this.rowOk(target, KIND_FR) && !this.rowOk(target, KIND_MW)) return this.fail(qq, C.INVALID_HANDLE)
    const i = this.begin(qq, OP_INV, flags, ctx)
    this.rec[qq.wo + i * WS + W_RKEY] = target
    return this.commit(qq, flags)
  }

  /** Invalidate by key (remote invalidation / read-local-invalidate). */
  private invalidateKey(pd: number, key: number): boolean {
    const row = key >>> 8
    if (row < 1 || row >= this.kCap || this.kGen[row] !== (key & 0xff) || this.kPd[row] !== pd) return false
    if (this.kKind[row] === KIND_FR && this.kState[row] === 2) {
      this.kState[row] = 1
      this.bumpGen(row)
      return true
    }
    if (this.kKind[row] === KIND_MW && this.kState[row] === 1) {
      this.unbindMw(row)
      return true
    }
    return false
  }

  // -------------------------------------------------------------------------------------------------------------
  // MADs

  sendMad(dstAddress: number, data: Uint8Array): number {
    if (this.removed) return C.DEVICE_REMOVED
    if (data.length > this.config.maxMadSize) return C.MAD_TOO_LONG
    const port = this.fabric.byAddress.get(dstAddress)
    if (port === undefined) return C.OK // lost on the wire, like a MAD to nobody
    const pk = this.fabric.pk
    const i = pk.alloc()
    pk.kind[i] = K_MAD
    pk.flags[i] = 0
    pk.syndrome[i] = 0
    pk.src[i] = this.portIndex
    pk.dst[i] = port.portIndex
    pk.srcQpn[i] = 1
    pk.dstQpn[i] = 1
    pk.psn[i] = 0
    pk.len[i] = data.length
    pk.mad[i] = data.slice()
    if (this.txHead >= 0) this.flushTx()
    this.fabric.transmit(i)
    return C.OK
  }

  // -------------------------------------------------------------------------------------------------------------
  // engine

  private makeReady(q: Qp): void {
    // a QP already in the ready list needs no doorbell: a non-empty ready list keeps the engine queued
    if (!q.inReady) {
      q.inReady = true
      this.ready.push(q)
      this.wake()
    }
  }

  private armTimer(q: Qp, at: number): void {
    q.timerAt = at
    if (!q.inTimers) {
      q.inTimers = true
      this.timers.push(q)
    }
    this.requestTimer(at)
  }

  /** One bounded engine pass. Returns true when more work is immediately available. */
  pass(): boolean {
    this.counters.passes++
    const fabric = this.fabric
    // a tolerance of 1 ns keeps float rounding of timer deadlines from deferring a due item
    this.passNow = fabric.now()
    // link and faults change only between passes (Effects outside the engine)
    this.passFast = fabric.fastPath() && fabric.linkDown.size === 0 && fabric.partitions.size === 0
    const now = this.passNow + 1e-6
    let budget = this.config.passBudget
    // delayed packets that are due
    while (this.delayed.size > 0 && this.delayed.peekAt() <= now) this.inbound.push(this.delayed.pop())
    // inbound
    const pk = fabric.pk
    const inbound = this.inbound
    while (inbound.count > 0 && budget > 0) {
      let i = inbound.shift()
      let next = -1
      if ((pk.flags[i]! & PF_CHAIN) !== 0) {
        // a chain: each record in turn, as if it had arrived alone
        pk.flags[i] = pk.flags[i]! & ~PF_CHAIN
        next = pk.seq[i]!
      }
      for (;;) {
        // work units: 1 per packet (a burst descriptor counts its segments) + 1 per 16 KiB copied (≈ 300 ns each)
        const segs = pk.syndrome[i]!
        budget -= (segs > 1 && pk.kind[i]! <= K_WRITE ? segs : 1) + (pk.len[i]! >> 14)
        this.counters.packetsIn++
        fabric.counters.delivered++
        if (!this.removed) this.receive(i)
        pk.release(i)
        if (next < 0) break
        i = next
        next = pk.seq[i]!
      }
    }
    // acks (at most one per QP per pass)
    if (this.nAcks > 0) this.sendAcks()
    // read responses (responder resources, bounded by IRD)
    if (this.readQps.length > 0 && budget > 0) budget = this.serveReads(budget)
    // timers
    if (this.nextTimerAt <= now) this.runTimers(now)
    // requester
    if (this.ready.length > this.readyHead && budget > 0) {
      // serve QPs in order until the budget is spent; the ones not reached go first next pass, then the ones
      // served that still have work (round robin without touching the QPs this pass does not serve): the list
      // is consumed from `readyHead` and the served ones are appended, compacted only when the head is far in
      const ready = this.ready
      const n = ready.length
      const served = this.served
      let k = this.readyHead
      let keep = 0
      while (k < n && budget > 0) {
        const q = ready[k]!
        ready[k++] = undefined
        if (q.live && q.state === QP_RTS) budget = this.requester(q, budget)
        if (q.live && q.state === QP_RTS && this.canSend(q)) served[keep++] = q
        else q.inReady = false
      }
      this.readyHead = k
      for (let t = 0; t < keep; t++) {
        ready.push(served[t])
        served[t] = undefined
      }
      if (k >= 64 && k * 2 >= ready.length) {
        let j = 0
        while (k < ready.length) ready[j++] = ready[k++]
        truncate(ready, j)
        this.readyHead = 0
      }
      if (this.txHead >= 0) this.flushTx()
    }
    // QPs whose CQ failed
    if (this.errorQps.length > 0) {
      const list = this.errorQps.splice(0)
      for (const q of list) this.errorQp(q, 0, C.FLUSHED)
    }
    if (this.drainWatch.length > 0) this.checkDrains()
    const nd = this.delayed.peekAt()
    if (nd < Infinity) this.requestTimer(nd)
    // a sleeper that fired before its deadline (clock rounding) leaves the timers with none pending: re-request
    if (this.sleeperAt === Infinity && this.nextTimerAt < Infinity) this.requestTimer(this.nextTimerAt)
    return inbound.count > 0 || this.ready.length > this.readyHead || this.nAcks > 0 || this.errorQps.length > 0 ||
      this.readQps.length > 0
  }

  /**
   * Sends the ACKs this pass owes (at most one per QP). On a fault-free zero-latency link they join this pass's
   * chain (see `chainTx`): consecutive ACKs to one port travel with one `transmit`.
   */
  private sendAcks(): void {
    const acks = this.acks
    const fast = this.passFast
    const pk = this.fabric.pk
    for (let k = 0; k < this.nAcks; k++) {
      const q = acks[k]!
      acks[k] = undefined
      q.needAck = false
      if (!q.live || q.state !== QP_RTS) continue
      if (!fast) {
        this.sendCtl(q, K_ACK, 0, q.ePsn - 1)
        continue
      }
      if (q.remotePort === undefined) continue
      const p = this.newPacket(q, K_ACK)
      pk.psn[p] = (q.ePsn - 1) & PSN_MASK
      pk.len[p] = 0
      this.counters.packetsOut++
      this.chainTx(p, q.remotePort)
    }
    if (this.txHead >= 0) this.flushTx()
    this.nAcks = 0
  }

  /** Appends packet `p` (to `port`) to this pass's pending chain (sent before any other packet of this NIC). */
  private chainTx(p: number, port: Port): void {
    const pk = this.fabric.pk
    if (this.txHead >= 0 && (port !== this.txPort || this.txCount === 255)) this.flushTx()
    pk.seq[p] = -1
    if (this.txHead < 0) {
      this.txHead = p
      this.txPort = port
    } else pk.seq[this.txTail] = p
    this.txTail = p
    this.txCount++
  }

  private flushTx(): void {
    const head = this.txHead
    const fabric = this.fabric
    if (this.txCount > 1) {
      fabric.pk.flags[head] = fabric.pk.flags[head]! | PF_CHAIN
      fabric.counters.sent += this.txCount - 1
    }
    this.txHead = -1
    this.txTail = -1
    this.txCount = 0
    this.txPort = undefined
    fabric.transmit(head)
  }

  private canSend(q: Qp): boolean {
    if (q.reqBlocked || q.timerKind === 2 || q.sqReq >= q.sqBell) return false
    if (q.curPsn - q.ackPsn > this.config.windowPackets) return false
    if (!q.curActive) {
      const i = q.sqReq & q.sqMask
      if (this.rec[q.wo + i * WS + W_STARTED] !== 1) {
        if ((this.rec[q.wo + i * WS + W_FLAGS]! & F_FENCE) !== 0 && q.readsOut > 0) return false
        if (this.rec[q.wo + i * WS + W_OP] === OP_READ && q.readsOut >= q.ord) return false
      }
    }
    return true
  }

  private runTimers(now: number): void {
    let next = Infinity
    const list = this.timers
    let keep = 0
    for (let k = 0; k < list.length; k++) {
      const q = list[k]!
      if (!q.live || q.state !== QP_RTS || q.timerAt === Infinity) {
        q.inTimers = false
        q.timerAt = Infinity
        continue
      }
      if (q.timerAt <= now) {
        q.timerAt = Infinity
        this.onTimeout(q, now)
      }
      if (q.live && q.state === QP_RTS && q.timerAt < Infinity) {
        list[keep++] = q
        if (q.timerAt < next) next = q.timerAt
      } else q.inTimers = false
    }
    list.length = keep
    this.nextTimerAt = next
    if (next < Infinity) this.requestTimer(next)
  }

  private onTimeout(q: Qp, now: number): void {
    if (q.timerKind === 2) {
      // RNR wait over: resend from the NAKed PSN
      q.timerKind = 0
      this.goBack(q, q.rnrPsn, true)
      return
    }
    if (q.sqHead === q.sqReq && !q.curActive) return
    if (q.retryLeft <= 0) {
      this.failHead(q, C.RETRY_EXCEEDED)
      return
    }
    q.retryLeft--
    this.counters.retransmits++
    // resend from the first unconfirmed PSN: an incomplete read at the head may sit below the ACKed PSN
    let target = q.ackPsn + 1
    const h = q.sqHead & q.sqMask
    if (
      q.sqHead < q.sqReq && this.rec[q.wo + h * WS + W_OP] === OP_READ &&
      this.rec[q.wo + h * WS + W_RNEXT]! <= this.rec[q.wo + h * WS + W_LAST]!
    ) {
      target = Math.min(target, this.rec[q.wo + h * WS + W_RNEXT]!)
    }
    this.goBack(q, target, true)
    this.armTimer(q, now + this.config.ackTimeoutUs / 1000)
  }

  /** Restarts transmission at `psn` (go-back-N). */
  private goBack(q: Qp, psn: number, force: boolean): void {
    if (!force && q.goBackMark === psn) return
    q.goBackMark = psn
    // find the started WQE that contains psn
    let n = q.sqHead
    while (n < q.sqReq) {
      const i = n & q.sqMask
      if (this.rec[q.wo + i * WS + W_LAST]! >= psn && this.rec[q.wo + i * WS + W_OP]! <= OP_READ) break
      n++
    }
    if (n >= q.sqReq && !q.curActive) return
    if (n >= q.sqReq) n = q.sqReq
    const i = n & q.sqMask
    q.sqReq = n
    q.curActive = false
    if (n < q.sqBell && this.rec[q.wo + i * WS + W_STARTED] === 1 && this.rec[q.wo + i * WS + W_OP]! <= OP_WRITE) {
      this.seek(q, i, Math.max(psn, this.rec[q.wo + i * WS + W_FIRST]!))
    }
    q.reqBlocked = false
    this.makeReady(q)
  }

  /** Positions the cursor of a started SEND/WRITE WQE at `psn`. */
  private seek(q: Qp, i: number, psn: number): void {
    const b = i * q.sStride
    const n = this.rec[q.wo + i * WS + W_NSGE]!
    const mtu = q.mtu
    let p = this.rec[q.wo + i * WS + W_FIRST]!
    let msg = 0
    let sge = 0
    let off = 0
    while (p < psn && sge < n) {
      const l = this.rec[q.so + (b + sge) * SGS + SG_LEN]!
      const remaining = l - off
      if (remaining <= 0) {
        sge++
        off = 0
        continue
      }
      const pk = Math.ceil(remaining / mtu)
      if (p + pk <= psn) {
        p += pk
        msg += remaining
        sge++
        off = 0
      } else {
        const k = psn - p
        off += k * mtu
        msg += k * mtu
        p = psn
      }
    }
    q.curActive = true
    q.curPsn = p
    q.curSge = sge
    q.curOff = off
    q.msgOff = msg
  }

  /** Sends packets for the QP; returns remaining budget. */
  private requester(q: Qp, budget: number): number {
    const window = this.config.windowPackets
    const mtu = q.mtu
    const w = this.rec
    while (budget > 0 && q.sqReq < q.sqBell && !q.reqBlocked && q.timerKind !== 2) {
      const i = q.sqReq & q.sqMask
      const wb = q.wo + i * WS
      const op = w[wb + W_OP]!
      if (!q.curActive && op <= OP_WRITE && w[wb + W_STARTED] === 0 && w[wb + W_TOTAL]! <= mtu) {
        const sent = this.fastSend(q, budget)
        if (sent > 0) {
          budget -= sent
          continue
        }
      }
      if (!q.curActive) {
        if (this.rec[q.wo + i * WS + W_STARTED] !== 1) {
          // first start of this WQE
          if ((this.rec[q.wo + i * WS + W_FLAGS]! & F_FENCE) !== 0 && q.readsOut > 0) return budget
          if (op === OP_READ && q.readsOut >= q.ord) return budget
          if (this.rec[q.wo + i * WS + W_ST] === 0 && op <= OP_READ && !this.validateLocal(q, i)) {
            this.rec[q.wo + i * WS + W_ST] = C.LOCAL_PROTECTION_ERROR
          }
          if (this.rec[q.wo + i * WS + W_ST] !== 0 || op > OP_READ) {
            if (op === OP_INV && this.rec[q.wo + i * WS + W_ST] === 0) {
              const t = this.rec[q.wo + i * WS + W_RKEY]!
              const ok = (this.kKind[t] === KIND_FR && this.kState[t] === 2) ||
                (this.kKind[t] === KIND_MW && this.kState[t] === 1)
              if (ok && this.kPd[t] === q.pd) this.invalidateKey(q.pd, this.keyOf(t))
              else this.rec[q.wo + i * WS + W_ST] = C.LOCAL_OPERATION_ERROR
            }
            this.rec[q.wo + i * WS + W_STARTED] = 1
            this.rec[q.wo + i * WS + W_FIRST] = q.nextPsn
            this.rec[q.wo + i * WS + W_LAST] = q.nextPsn - 1
            q.sqReq++
            if (this.rec[q.wo + i * WS + W_ST] !== 0) q.reqBlocked = true
            this.complete(q)
            continue
          }
          this.rec[q.wo + i * WS + W_STARTED] = 1
          this.rec[q.wo + i * WS + W_FIRST] = q.nextPsn
          if (op === OP_READ) {
            const n = Math.max(1, Math.ceil(this.rec[q.wo + i * WS + W_TOTAL]! / mtu))
            this.rec[q.wo + i * WS + W_LAST] = q.nextPsn + n - 1
            this.rec[q.wo + i * WS + W_RNEXT] = q.nextPsn
            q.nextPsn += n
            q.readsOut++
          } else {
            this.rec[q.wo + i * WS + W_LAST] = q.nextPsn + this.packetCount(q, i) - 1
            q.nextPsn = this.rec[q.wo + i * WS + W_LAST]! + 1
          }
          q.curPsn = this.rec[q.wo + i * WS + W_FIRST]!
          q.curSge = 0
          q.curOff = 0
          q.msgOff = 0
          q.curActive = true
        } else {
          if (
            op > OP_READ || this.rec[q.wo + i * WS + W_ST] !== 0 ||
            (op === OP_READ && this.rec[q.wo + i * WS + W_RNEXT]! > this.rec[q.wo + i * WS + W_LAST]!)
          ) {
            q.sqReq++
            continue
          }
          if (op === OP_READ) {
            q.curPsn = this.rec[q.wo + i * WS + W_RNEXT]!
            q.curActive = true
          } else this.seek(q, i, this.rec[q.wo + i * WS + W_FIRST]!)
        }
      }
      if (q.curPsn - q.ackPsn > window) return budget
      if (op === OP_READ) {
        // one request for the remaining response range: from the first response PSN not yet received, with the
        // remote address and length advanced past the responses already placed (IB re-requests a partial read)
        const next = this.rec[q.wo + i * WS + W_RNEXT]!
        const skip = (next - this.rec[q.wo + i * WS + W_FIRST]!) * mtu
        const pkt = this.newPacket(q, K_READ_REQ)
        const pk = this.fabric.pk
        pk.psn[pkt] = next & PSN_MASK
        pk.raddr[pkt] = this.rec[q.wo + i * WS + W_RADDR]! + skip
        pk.rkey[pkt] = this.rec[q.wo + i * WS + W_RKEY]!
        pk.total[pkt] = this.rec[q.wo + i * WS + W_TOTAL]! - skip
        pk.len[pkt] = 0
        this.xmit(q, pkt)
        budget--
        q.curActive = false
        q.curPsn = this.rec[q.wo + i * WS + W_LAST]! + 1
        q.sqReq++
        continue
      }
      // SEND / WRITE data packet
      const b = i * q.sStride
      const nsge = this.rec[q.wo + i * WS + W_NSGE]!
      while (
        q.curSge < nsge && this.rec[q.so + (b + q.curSge) * SGS + SG_LEN]! - q.curOff <= 0 &&
        this.rec[q.wo + i * WS + W_TOTAL]! > 0
      ) {
        q.curSge++
        q.curOff = 0
      }
      const total = this.rec[q.wo + i * WS + W_TOTAL]!
      let len = 0
      let row = ROW_NONE
      let va = 0
      let count = 1
      if (q.curSge < nsge && total > 0) {
        const l = this.rec[q.so + (b + q.curSge) * SGS + SG_LEN]! - q.curOff
        len = l < mtu ? l : mtu
        row = this.rec[q.so + (b + q.curSge) * SGS + SG_ROW]!
        va = this.rec[q.so + (b + q.curSge) * SGS + SG_ADDR]! + q.curOff
        if (l > mtu && this.fabric.fastPath()) {
          // burst: consecutive MTU segments of one SGE travel as one descriptor on a fault-free, zero-latency
          // link; the responder checks them once and places the burst with one copy
          const room = window - (q.curPsn - q.ackPsn) + 1
          count = Math.min(Math.ceil(l / mtu), room, 255, Math.max(1, budget >> 2))
          if (count < 1) count = 1
          len = Math.min(l, count * mtu)
        }
      }
      const pkt = this.newPacket(q, op === OP_WRITE ? K_WRITE : K_SEND)
      const pk = this.fabric.pk
      let f = 0
      if (q.msgOff === 0) f |= PF_FIRST
      if (q.msgOff + len >= total) {
        f |= PF_LAST
        if ((this.rec[q.wo + i * WS + W_FLAGS]! & F_SOLICITED) !== 0) f |= PF_SOLICITED
        if (op === OP_SEND_INV) f |= PF_INVALIDATE
      }
      pk.flags[pkt] = f
      pk.psn[pkt] = q.curPsn & PSN_MASK
      pk.row[pkt] = row
      pk.sgen[pkt] = row > 0 ? this.rec[q.so + (b + q.curSge) * SGS + SG_GEN]! : 0
      pk.va[pkt] = va
      pk.len[pkt] = len
      pk.offset[pkt] = q.msgOff
      pk.total[pkt] = total
      pk.raddr[pkt] = this.rec[q.wo + i * WS + W_RADDR]!
      pk.rkey[pkt] = this.rec[q.wo + i * WS + W_RKEY]!
      pk.ikey[pkt] = this.rec[q.wo + i * WS + W_IKEY]!
      pk.syndrome[pkt] = count > 1 ? count : 0
      pk.at[pkt] = mtu
      if (count > 1) this.counters.packetsOut += count - 1
      this.xmit(q, pkt)
      budget -= count + (len >> 14)
      q.curOff += len
      q.msgOff += len
      q.curPsn += count
      if (q.curPsn > this.rec[q.wo + i * WS + W_LAST]!) {
        q.curActive = false
        q.sqReq++
      }
    }
    return budget
  }

  private packetCount(q: Qp, i: number): number {
    const b = i * q.sStride
    const n = this.rec[q.wo + i * WS + W_NSGE]!
    let c = 0
    for (let k = 0; k < n; k++) {
      const l = this.rec[q.so + (b + k) * SGS + SG_LEN]!
      if (l > 0) c += Math.ceil(l / q.mtu)
    }
    return c === 0 ? 1 : c
  }

  /**
   * Starts single-packet SEND / SEND_INV / WRITE messages (at most one SGE, not yet started, no fence) from the
   * requester cursor in one step, at most `max` of them. One message travels as one packet; on a fault-free
   * zero-latency link consecutive ones travel as one run descriptor (the responder takes each message's fields
   * from this QP's WQE records, which stay put until acknowledged, and handles them one by one as if they were
   * separate packets). Returns the number of messages sent; 0 (nothing changed) when the first one's local SGE
   * fails its check: the general path then records the error.
   */
  private fastSend(q: Qp, max: number): number {
    const w = this.rec
    const sg = w
    const mtu = q.mtu
    const window = this.config.windowPackets
    const limit = max < 255 ? max : 255
    const start = q.sqReq
    const psn0 = q.nextPsn
    const fabric = this.fabric
    const multi = this.passFast
    let n = 0
    let bytes = 0
    // the first message's fields (sent as a plain packet when it is alone)
    let op0 = 0
    let row0 = ROW_NONE
    let gen0 = 0
    let va0 = 0
    let lastKey = -1
    let lastRow = -1
    while (n < limit && q.sqReq < q.sqBell) {
      const i = q.sqReq & q.sqMask
      const wb = q.wo + i * WS
      const op = w[wb + W_OP]!
      const total = w[wb + W_TOTAL]!
      if (
        op > OP_WRITE || w[wb + W_STARTED] !== 0 || w[wb + W_ST] !== 0 || total > mtu || w[wb + W_NSGE]! > 1 ||
        (w[wb + W_FLAGS]! & F_FENCE) !== 0 || q.nextPsn - q.ackPsn > window
      ) break
      const sb = q.so + i * q.sStride * SGS
      let row = ROW_NONE
      let gen = 0
      let va = 0
      if (total > 0) {
        va = sg[sb + SG_ADDR]!
        const key = sg[sb + SG_KEY]!
        if (key === lastKey && lastRow > 0) {
          // same key as the previous message: only its bounds remain to check
          const base = this.kVa[lastRow]!
          row = va >= base && va + total <= base + this.kLen[lastRow]! ? lastRow : -1
        } else row = this.checkLocal(q.pd, key, va, total, false, false)
        if (row === -1) break
        lastKey = key
        lastRow = row
        gen = row > 0 ? this.kGen[row]! : 0
        sg[sb + SG_ROW] = row
        sg[sb + SG_GEN] = gen
      } else if (w[wb + W_NSGE] === 1) {
        sg[sb + SG_ROW] = ROW_NONE
        sg[sb + SG_GEN] = 0
      }
      if (n === 0) {
        op0 = op
        row0 = row
        gen0 = gen
        va0 = va
      }
      const psn = q.nextPsn
      w[wb + W_STARTED] = 1
      w[wb + W_FIRST] = psn
      w[wb + W_LAST] = psn
      q.nextPsn = psn + 1
      q.sqReq++
      n++
      bytes += total
      if (!multi) break
    }
    if (n === 0) return 0
    q.curPsn = q.nextPsn
    const pk = fabric.pk
    const p = pk.alloc()
    pk.syndrome[p] = 0
    pk.src[p] = this.portIndex
    pk.dst[p] = q.remotePort!.portIndex
    pk.srcQpn[p] = q.qpn
    pk.dstQpn[p] = q.remoteQpn
    pk.psn[p] = psn0 & PSN_MASK
    if (n === 1) {
      const wb = q.wo + (start & q.sqMask) * WS
      writeSingle(pk, p, op0, singleFlags(w[wb + W_FLAGS]!, op0), psn0 & PSN_MASK, row0, gen0, va0, bytes, w, wb)
    } else {
      pk.kind[p] = K_SEND
      pk.flags[p] = PF_RUN
      pk.syndrome[p] = n
      pk.row[p] = ROW_NONE
      pk.sgen[p] = 0
      pk.va[p] = 0
      pk.len[p] = 0
      pk.offset[p] = start & q.sqMask
      pk.total[p] = bytes
      fabric.counters.sent += n - 1
    }
    const c = this.counters
    c.packetsOut += n
    c.bytesOut += bytes
    if (q.timerAt === Infinity && q.timerKind === 0) this.armTimer(q, this.passNow + this.config.ackTimeoutUs / 1000)
    if (multi) this.chainTx(p, q.remotePort!)
    else {
      if (this.txHead >= 0) this.flushTx()
      fabric.transmit(p)
    }
    return n
  }

  private validateLocal(q: Qp, i: number): boolean {
    if (this.rec[q.wo + i * WS + W_STARTED] === 2) return true
    const b = i * q.sStride
    const n = this.rec[q.wo + i * WS + W_NSGE]!
    const isRead = this.rec[q.wo + i * WS + W_OP] === OP_READ
    for (let k = 0; k < n; k++) {
      const row = this.checkLocal(
        q.pd,
        this.rec[q.so + (b + k) * SGS + SG_KEY]!,
        this.rec[q.so + (b + k) * SGS + SG_ADDR]!,
        this.rec[q.so + (b + k) * SGS + SG_LEN]!,
        isRead,
        isRead
      )
      if (row === -1) return false
      this.rec[q.so + (b + k) * SGS + SG_ROW] = row
      this.rec[q.so + (b + k) * SGS + SG_GEN] = row > 0 ? this.kGen[row]! : 0
    }
    return true
  }

  private newPacket(q: Qp, kind: number): number {
    const pk = this.fabric.pk
    const i = pk.alloc()
    pk.kind[i] = kind
    pk.flags[i] = 0
    pk.syndrome[i] = 0
    pk.src[i] = this.portIndex
    pk.dst[i] = q.remotePort!.portIndex
    pk.srcQpn[i] = q.qpn
    pk.dstQpn[i] = q.remoteQpn
    return i
  }

  private xmit(q: Qp, pkt: number): void {
    this.counters.packetsOut++
    this.counters.bytesOut += this.fabric.pk.len[pkt]!
    if (q.timerAt === Infinity && q.timerKind === 0) {
      this.armTimer(q, this.passNow + this.config.ackTimeoutUs / 1000)
    }
    if (this.txHead >= 0) this.flushTx()
    this.fabric.transmit(pkt)
  }

  private sendCtl(q: Qp, kind: number, syndrome: number, psn: number): void {
    if (q.remotePort === undefined) return
    const pkt = this.newPacket(q, kind)
    const pk = this.fabric.pk
    pk.syndrome[pkt] = syndrome
    pk.psn[pkt] = psn & PSN_MASK
    pk.len[pkt] = 0
    this.counters.packetsOut++
    if (this.txHead >= 0) this.flushTx()
    this.fabric.transmit(pkt)
  }

  // ---- receive path

  private receive(i: number): void {
    const pk = this.fabric.pk
    const kind = pk.kind[i]!
    if (kind === K_MAD) {
      const d = pk.mad[i]
      const from = this.fabric.ports[pk.src[i]!]
      if (d !== undefined && this.madHandler !== undefined && from !== undefined) {
        this.madFrom.push(from.address)
        this.madData.push(d)
      }
      return
    }
    const q = this.qp(pk.dstQpn[i]!)
    if (q === undefined || q.remotePort === undefined) return
    // a packet whose sender has since been removed from the fabric carries nothing we can read
    if (this.fabric.ports[pk.src[i]!] === undefined) return
    if (q.remotePort.portIndex !== pk.src[i] || q.remoteQpn !== pk.srcQpn[i]) return
    // the source region must still be the registration checked when the packet was built: a packet whose
    // source was deregistered / re-registered since is dropped unread (like a corrupted packet)
    const srow = pk.row[i]!
    if (srow > 0 && pk.len[i]! > 0 && !(this.fabric.ports[pk.src[i]!] as NicCore).rowLive(srow, pk.sgen[i]!)) return
    if (kind === K_ACK || kind === K_NAK || kind === K_READ_RESP) {
      if (q.state === QP_RTS) {
        pk.psn[i] = unwrapPsn(pk.psn[i]!, q.ackPsn)
        this.completer(q, i, kind)
      }
      return
    }
    pk.psn[i] = unwrapPsn(pk.psn[i]!, q.ePsn)
    if (pk.syndrome[i]! > 1 && (kind === K_SEND || kind === K_WRITE)) {
      if ((pk.flags[i]! & PF_RUN) !== 0) this.responderRun(q, i)
      else this.responderBurst(q, i, kind)
    } else this.responder(q, i, kind)
  }

  /**
   * A run descriptor: rewrites the record in place as each of its single-packet messages in turn (fields from the
   * sender's WQE records) and handles each as if it had arrived on its own. A message whose source region changed
   * since it was sent is dropped unread (like a corrupted packet); a sender QP that left RTS sends nothing more.
   */
  private responderRun(q: Qp, i: number): void {
    const pk = this.fabric.pk
    const src = this.fabric.ports[pk.src[i]!] as NicCore
    const sq = src.qp(pk.srcQpn[i]!)
    const n = pk.syndrome[i]!
    const start = pk.offset[i]! | 0
    const psn0 = pk.psn[i]!
    pk.syndrome[i] = 0
    if (sq === undefined) return
    // the sender's records (in the sender's record array)
    const w = src.rec
    const sg = w
    const mask = sq.sqMask
    const stride = sq.sStride * SGS
    this.counters.packetsIn += n - 1
    this.fabric.counters.delivered += n - 1
    // the sender's key table cannot change while this run is handled (no code of the sender runs meanwhile): a
    // source row found live stays live for the rest of the run
    let liveRow = 0
    let liveGen = -1
    let k = 0
    while (k < n) {
      if (sq.state !== QP_RTS || !sq.live) return
      if (q.state === QP_RTS && psn0 + k === q.ePsn && q.srq === undefined && !q.respActive) {
        const m = this.runSends(q, src, sq, start + k, n - k)
        if (m > 0) {
          k += m
          q.nakSent = false
          if (!q.needAck) {
            q.needAck = true
            this.acks[this.nAcks++] = q
          }
          continue
        }
      }
      const j = (start + k) & mask
      const wb = sq.wo + j * WS
      const sb = sq.so + j * stride
      const op = w[wb + W_OP]!
      const total = w[wb + W_TOTAL]!
      let row = ROW_NONE
      let gen = 0
      let va = 0
      k++
      if (total > 0) {
        row = sg[sb + SG_ROW]!
        gen = sg[sb + SG_GEN]!
        va = sg[sb + SG_ADDR]!
        if (row > 0 && (row !== liveRow || gen !== liveGen)) {
          if (!src.rowLive(row, gen)) continue
          liveRow = row
          liveGen = gen
        }
      }
      const f = singleFlags(w[wb + W_FLAGS]!, op)
      const kind = op === OP_WRITE ? K_WRITE : K_SEND
      if (
        q.state === QP_RTS && psn0 + k - 1 === q.ePsn &&
        this.responderSingle(q, kind, f, total, src, row, va, w, wb)
      ) {
        q.nakSent = false
        if (!q.needAck) {
          q.needAck = true
          this.acks[this.nAcks++] = q
        }
        continue
      }
      writeSingle(pk, i, op, f, psn0 + k - 1, row, gen, va, total, w, wb)
      this.responder(q, i, kind)
    }
  }

  /**
   * The common stretch of a run: consecutive plain SENDs (sender WQEs from sequence number `seq`, at most `max`)
   * into this QP's plain receive queue, in sequence (the caller checked the first PSN, RTS, no SRQ, no receive in
   * progress), each into one receive of one SGE that holds it. Keys, rights and bounds are checked per message
   * (the receive key through the checked-key cache), the copy goes through `dma`, one CQE each. Stops (returning
   * how many it placed) at the first message that needs anything else: the general path then takes that one.
   */
  private runSends(q: Qp, src: NicCore, sq: Qp, seq: number, max: number): number {
    const w = src.rec
    const sg = w
    const mask = sq.sqMask
    const stride = sq.sStride * SGS
    const r = this.rec
    const rs = q.rs
    const rmask = q.rqMask
    const ctxs = this.ctxs
    const rco = q.rco
    const cq = q.recvCq
    const pd = q.pd
    // within this loop neither key table changes: a source row found live, a receive key found valid stay so
    let liveRow = 0
    let liveGen = -1
    let rKey = -1
    let rRow = -1
    let m = 0
    while (m < max && q.rqHead !== q.rqTail) {
      const j = (seq + m) & mask
      const wb = sq.wo + j * WS
      if (w[wb + W_OP] !== OP_SEND) break
      const total = w[wb + W_TOTAL]!
      const slot = q.rqHead & rmask
      const b = q.ro + slot * rs
      if (r[b + R_NSGE] !== 1) break
      const rlen = r[b + R_LEN]!
      if (rlen < total) break
      if (total > 0) {
        const sb = sq.so + j * stride
        const row = sg[sb + SG_ROW]!
        const gen = sg[sb + SG_GEN]!
        if (row > 0 && (row !== liveRow || gen !== liveGen)) {
          if (!src.rowLive(row, gen)) break
          liveRow = row
          liveGen = gen
        }
        const rva = r[b + R_ADDR]!
        const key = r[b + R_KEY]!
        let dst: number
        if (key === rKey) {
          const base = this.kVa[rRow]!
          dst = rva >= base && rva + rlen <= base + this.kLen[rRow]! ? rRow : -1
        } else {
          dst = this.checkLocal(pd, key, rva, rlen, true, false)
          if (dst > 0) {
            rKey = key
            rRow = dst
          }
        }
        if (dst === -1) break
        this.dma(dst, rva, src, row, sg[sb + SG_ADDR]!, total)
      } else if (this.checkLocal(pd, r[b + R_KEY]!, r[b + R_ADDR]!, rlen, true, false) === -1) break
      q.ePsn++
      const ctx = ctxs[rco + slot]
      ctxs[rco + slot] = undefined
      q.rqHead++
      m++
      this.pushCqe(cq, 0, OP_RECV, q.qpn, total, 0, ctx, (w[wb + W_FLAGS]! & F_SOLICITED) !== 0)
      if (cq.failed !== 0) break
    }
    return m
  }

  /** Splits a burst descriptor into its segments (rewriting the record in place) and handles each in turn. */
  private responderBurst(q: Qp, i: number, kind: number): void {
    const pk = this.fabric.pk
    const n = pk.syndrome[i]!
    const seg = pk.at[i]!
    const psn0 = pk.psn[i]!
    const va0 = pk.va[i]!
    const off0 = pk.offset[i]!
    const len0 = pk.len[i]!
    const f0 = pk.flags[i]!
    pk.syndrome[i] = 0
    if (kind === K_WRITE && q.state === QP_RTS && psn0 === q.ePsn) {
      // in-sequence write burst: check once, then one copy per segment
      q.nakSent = false
      if ((f0 & PF_FIRST) !== 0) {
        const row = this.checkRemote(q.pd, pk.rkey[i]!, pk.raddr[i]!, pk.total[i]!, true)
        if (row < 0) {
          this.respError(q, 0, -row, psn0)
          return
        }
        q.respRow = row
        q.respVa = pk.raddr[i]!
        q.respGen = this.kGen[row]!
        q.respTotal = pk.total[i]!
      }
      if (off0 + len0 > q.respTotal || !this.rowLive(q.respRow, q.respGen)) {
        this.respError(q, 0, NAK_REM_ACCESS, psn0)
        return
      }
      const src = this.fabric.ports[pk.src[i]!] as NicCore
      const srow = pk.row[i]!
      this.dmaSegments(q.respRow, q.respVa + off0, src, srow, va0, len0, seg)
      q.respWriting = (f0 & PF_LAST) === 0
      q.ePsn += n
      if (!q.needAck) {
        q.needAck = true
        this.acks[this.nAcks++] = q
      }
      return
    }
    for (let k = 0; k < n; k++) {
      pk.psn[i] = psn0 + k
      pk.va[i] = va0 + k * seg
      pk.offset[i] = off0 + k * seg
      pk.len[i] = Math.min(seg, len0 - k * seg)
      pk.flags[i] = (k === 0 ? f0 & PF_FIRST : 0) | (k === n - 1 ? f0 & ~PF_FIRST : 0)
      this.responder(q, i, kind)
    }
  }

  private responder(q: Qp, i: number, kind: number): void {
    const pk = this.fabric.pk
    if (q.state === QP_ERROR) {
      // a NAK's PSN acknowledges every PSN before it: name the first PSN this responder did not execute (its
      // expected PSN), never the arriving packet's, which may be ahead of it (packets still in flight)
      if (q.errNak !== 0) this.sendCtl(q, K_NAK, q.errNak, q.ePsn)
      return
    }
    if (q.state !== QP_RTS) return
    const psn = pk.psn[i]!
    if (psn < q.ePsn) {
      if (kind === K_READ_REQ) this.serveRead(q, i, true)
      else if (!q.needAck) {
        q.needAck = true
        this.acks[this.nAcks++] = q
      }
      return
    }
    if (psn > q.ePsn) {
      if (!q.nakSent) {
        q.nakSent = true
        this.counters.seqNaks++
        this.sendCtl(q, K_NAK, NAK_SEQ, q.ePsn)
      }
      return
    }
    q.nakSent = false
    const src = this.fabric.ports[pk.src[i]!] as NicCore
    const flags = pk.flags[i]!
    if (
      (flags & (PF_FIRST | PF_LAST)) === (PF_FIRST | PF_LAST) && pk.len[i] === pk.total[i] &&
      this.responderSingle(q, kind, flags, pk.total[i]!, src, pk.row[i]!, pk.va[i]!, null, i)
    ) {
      if (!q.needAck) {
        q.needAck = true
        this.acks[this.nAcks++] = q
      }
      return
    }
    if (kind === K_SEND) {
      if ((flags & PF_FIRST) !== 0) {
        if (!this.takeReceive(q)) {
          this.counters.rnrNaks++
          this.sendCtl(q, K_NAK, NAK_RNR, psn)
          return
        }
        const cap = this.validateRecv(q)
        if (cap < 0) {
          this.respError(q, C.LOCAL_PROTECTION_ERROR, NAK_REM_OP, psn)
          return
        }
        if (cap < pk.total[i]!) {
          this.respError(q, C.LOCAL_LENGTH_ERROR, NAK_REM_INV_REQ, psn)
          return
        }
        q.respTotal = pk.total[i]!
        q.respSge = 0
        q.respSgeOff = 0
      } else if (!q.respActive) return
      const len = pk.len[i]!
      if (len > 0 && !this.placeRecv(q, src, pk.row[i]!, pk.va[i]!, len)) {
        this.respError(q, C.LOCAL_PROTECTION_ERROR, NAK_REM_OP, psn)
        return
      }
      q.ePsn++
      if ((flags & PF_LAST) !== 0) {
        let op = OP_RECV
        let key = 0
        let status = 0
        if ((flags & PF_INVALIDATE) !== 0) {
          op = OP_RECV_INV
          key = pk.ikey[i]!
          if (!this.invalidateKey(q.pd, key)) status = C.INVALID_REMOTE_INVALIDATE
        }
        if (status !== 0) {
          this.respError(q, status, NAK_REM_INV_REQ, psn)
          return
        }
        this.finishRecv(q, 0, op, q.respTotal, key, (flags & PF_SOLICITED) !== 0)
      }
      if (!q.needAck) {
        q.needAck = true
        this.acks[this.nAcks++] = q
      }
      return
    }
    if (kind === K_WRITE) {
      if ((flags & PF_FIRST) !== 0) {
        const row = this.checkRemote(q.pd, pk.rkey[i]!, pk.raddr[i]!, pk.total[i]!, true)
        if (row < 0) {
          this.respError(q, 0, -row, psn)
          return
        }
        q.respRow = row
        q.respVa = pk.raddr[i]!
        q.respGen = this.kGen[row]!
        q.respTotal = pk.total[i]!
      }
      const len = pk.len[i]!
      // the region must still be the one checked at the first packet (not deregistered / invalidated since)
      if (pk.offset[i]! + len > q.respTotal || !this.rowLive(q.respRow, q.respGen)) {
        this.respError(q, 0, NAK_REM_ACCESS, psn)
        return
      }
      if (len > 0) this.dma(q.respRow, q.respVa + pk.offset[i]!, src, pk.row[i]!, pk.va[i]!, len)
      q.respWriting = (flags & PF_LAST) === 0
      q.ePsn++
      if (!q.needAck) {
        q.needAck = true
        this.acks[this.nAcks++] = q
      }
      return
    }
    if (kind === K_READ_REQ) this.serveRead(q, i, false)
  }

  /**
   * A single-packet SEND (into a plain receive queue, one receive SGE) or WRITE at the expected PSN, in one step.
   * Returns false (nothing changed) for anything else or any failing check: the general path then handles it.
   */
  private responderSingle(
    q: Qp,
    kind: number,
    flags: number,
    total: number,
    src: NicCore,
    srow: number,
    sva: number,
    wqe: Float64Array | null,
    at: number
  ): boolean {
    if (kind === K_SEND) {
      if ((flags & PF_INVALIDATE) !== 0 || q.srq !== undefined || q.respActive || q.rqHead === q.rqTail) return false
      const slot = q.rqHead & q.rqMask
      const r = this.rec
      const b = q.ro + slot * q.rs
      if (r[b + R_NSGE] !== 1) return false
      const rlen = r[b + R_LEN]!
      const rva = r[b + R_ADDR]!
      if (rlen < total) return false
      const row = this.checkLocal(q.pd, r[b + R_KEY]!, rva, rlen, true, false)
      if (row === -1) return false
      if (total > 0) this.dma(row, rva, src, srow, sva, total)
      q.ePsn++
      const ctx = this.ctxs[q.rco + slot]
      this.ctxs[q.rco + slot] = undefined
      q.rqHead++
      this.pushCqe(q.recvCq, 0, OP_RECV, q.qpn, total, 0, ctx, (flags & PF_SOLICITED) !== 0)
      return true
    }
    if (kind === K_WRITE) {
      // remote address and key: from the sender's WQE record `at` (a run) or from packet `at`
      const pk = this.fabric.pk
      const raddr = wqe !== null ? wqe[at + W_RADDR]! : pk.raddr[at]!
      const rkey = wqe !== null ? wqe[at + W_RKEY]! : pk.rkey[at]!
      const row = this.checkRemote(q.pd, rkey, raddr, total, true)
      if (row < 0) return false
      q.respRow = row
      q.respVa = raddr
      q.respGen = this.kGen[row]!
      q.respTotal = total
      if (total > 0) this.dma(row, raddr, src, srow, sva, total)
      q.respWriting = false
      q.ePsn++
      return true
    }
    return false
  }

  /**
   * An RDMA READ request (new, or a duplicate re-requesting from its first missing response PSN): checks the
   * remote access and takes a read-response resource. A new request beyond the QP's IRD (all resources busy with
   * reads the requester still counts) is a protocol error: NAK invalid request, QP to error. The responses go
   * out from `serveReads`, paced by the pass budget; the resource is held until the last one is sent.
   */
  private serveRead(q: Qp, i: number, dup: boolean): void {
    const pk = this.fabric.pk
    const psn = pk.psn[i]!
    const total = pk.total[i]!
    const raddr = pk.raddr[i]!
    if (q.ird === 0) {
      this.respError(q, 0, NAK_REM_INV_REQ, psn)
      return
    }
    // the resources are allocated at the first read (a QP that serves no reads carries none)
    const rd = q.rd ?? (q.rd = new Float64Array(q.ird * RDS))
    let row = ROW_NONE
    if (total > 0) {
      const r = this.checkRemote(q.pd, pk.rkey[i]!, raddr, total, false)
      if (r < 0) {
        this.respError(q, 0, -r, psn)
        return
      }
      row = r
    }
    const n = Math.max(1, Math.ceil(total / q.mtu))
    let s = -1
    if (dup) {
      // a re-request of a read still being answered restarts it there; else it needs a free resource
      for (let k = 0; k < q.rdCount; k++) {
        if (rd[k * RDS + RD_FIRST]! <= psn && psn <= rd[k * RDS + RD_LAST]!) {
          s = k
          break
        }
      }
      if (s < 0) {
        if (q.rdCount === q.ird && !this.evictDupSlot(q)) return // no resource: dropped, the requester retries
        s = q.rdCount++
        rd[s * RDS + RD_DUP] = 1
      }
    } else {
      if (q.rdCount === q.ird && !this.evictDupSlot(q)) {
        // more reads outstanding than this QP's IRD: the requester exceeded the negotiated limit
        this.respError(q, 0, NAK_REM_INV_REQ, psn)
        return
      }
      q.ePsn = psn + n
      s = q.rdCount++
      rd[s * RDS + RD_DUP] = 0
    }
    const o = s * RDS
    rd[o + RD_FIRST] = psn
    rd[o + RD_LAST] = psn + n - 1
    rd[o + RD_NEXT] = psn
    rd[o + RD_RADDR] = raddr
    rd[o + RD_TOTAL] = total
    rd[o + RD_ROW] = row
    rd[o + RD_GEN] = row > 0 ? this.kGen[row]! : 0
    if (q.rdCount > this.counters.readSlotsPeak) this.counters.readSlotsPeak = q.rdCount
    if (!q.inReads) {
      q.inReads = true
      this.readQps.push(q)
    }
  }

  /** Frees the oldest resource that re-serves a duplicate request; false when every resource holds an original. */
  private evictDupSlot(q: Qp): boolean {
    const rd = q.rd!
    for (let k = 0; k < q.rdCount; k++) {
      if (rd[k * RDS + RD_DUP] === 1) {
        this.dropSlot(q, k)
        return true
      }
    }
    return false
  }

  private dropSlot(q: Qp, k: number): void {
    const rd = q.rd!
    rd.copyWithin(k * RDS, (k + 1) * RDS, q.rdCount * RDS)
    q.rdCount--
  }

  /** Sends read responses, oldest resource first, within the pass budget; returns the remaining budget. */
  private serveReads(budget: number): number {
    const list = this.readQps
    const pk = this.fabric.pk
    let keep = 0
    for (let k = 0; k < list.length; k++) {
      const q = list[k]!
      if (!q.live || q.state !== QP_RTS) q.rdCount = 0
      const rd = q.rd
      const mtu = q.mtu
      while (budget > 0 && q.rdCount > 0 && rd !== undefined) {
        const next = rd[RD_NEXT]!
        const last = rd[RD_LAST]!
        const first = rd[RD_FIRST]!
        const total = rd[RD_TOTAL]!
        const row = rd[RD_ROW]!
        const off = (next - first) * mtu
        const len = Math.min(mtu, total - off)
        const p = this.newPacket(q, K_READ_RESP)
        pk.psn[p] = next & PSN_MASK
        pk.row[p] = row
        pk.sgen[p] = rd[RD_GEN]!
        pk.va[p] = rd[RD_RADDR]! + off
        pk.len[p] = len
        pk.offset[p] = off
        pk.total[p] = total
        pk.flags[p] = (next === first ? PF_FIRST : 0) | (next === last ? PF_LAST : 0)
        this.counters.packetsOut++
        this.counters.readResponses++
        this.counters.bytesOut += len
        if (this.txHead >= 0) this.flushTx()
        this.fabric.transmit(p)
        budget -= 1 + (len >> 14)
        if (next === last) this.dropSlot(q, 0)
        else rd[RD_NEXT] = next + 1
      }
      if (q.rdCount > 0) list[keep++] = q
      else q.inReads = false
    }
    list.length = keep
    return budget
  }

  private takeReceive(q: Qp): boolean {
    if (q.srq !== undefined) {
      const s = q.srq
      if (s.count === 0 || s.failed) return false
      const slot = s.fifo[s.head]!
      s.head = (s.head + 1) % s.depth
      s.count--
      q.respSlot = slot
      q.respSrq = true
      q.respActive = true
      if (s.armed && s.count < s.limit) {
        s.armed = false
        this.event(s.handler, C.SRQ_LIMIT)
      }
      return true
    }
    if (q.rqHead === q.rqTail) return false
    q.respSlot = q.rqHead & q.rqMask
    q.respSrq = false
    q.respActive = true
    return true
  }

  /** Validates the current receive's SGEs; returns capacity or -1. */
  private validateRecv(q: Qp): number {
    const s = q.srq
    const r = s !== undefined ? s.r : this.rec
    const b = s !== undefined ? q.respSlot * s.rs : q.ro + q.respSlot * q.rs
    const n = r[b + R_NSGE]!
    const resp = q.resp
    const gens = q.respN
    let cap = 0
    for (let k = 0; k < n; k++) {
      const o = b + k * RSG
      const len = r[o + R_LEN]!
      const row = this.checkLocal(q.pd, r[o + R_KEY]!, r[o + R_ADDR]!, len, true, false)
      if (row === -1) return -1
      resp[k] = row
      resp[gens + k] = row > 0 ? this.kGen[row]! : 0
      cap += len
    }
    return cap
  }

  /** A row still holds the registration whose generation was checked (row ≤ 0: inline / logical / none). */
  rowLive(row: number, gen: number): boolean {
    if (row <= 0) return true
    if (this.kGen[row] !== gen) return false
    const k = this.kKind[row]
    const st = this.kState[row]
    return (k === KIND_MR && st === 1) || (k === KIND_FR && st === 2) || (k === KIND_MW && st === 1)
  }

  private placeRecv(q: Qp, src: NicCore, srow: number, sva: number, len: number): boolean {
    const s = q.srq
    const r = s !== undefined ? s.r : this.rec
    const b = s !== undefined ? q.respSlot * s.rs : q.ro + q.respSlot * q.rs
    const n = r[b + R_NSGE]!
    while (len > 0 && q.respSge < n) {
      const o = b + q.respSge * RSG
      const room = r[o + R_LEN]! - q.respSgeOff
      if (room <= 0) {
        q.respSge++
        q.respSgeOff = 0
        continue
      }
      const c = len < room ? len : room
      const row = q.resp[q.respSge]!
      if (row > 0 && !this.rowLive(row, q.resp[q.respN + q.respSge]!)) return false
      this.dma(row, r[o + R_ADDR]! + q.respSgeOff, src, srow, sva, c)
      q.respSgeOff += c
      sva += c
      len -= c
    }
    return true
  }

  private finishRecv(q: Qp, status: number, op: number, bytes: number, key: number, sol: boolean): void {
    if (!q.respActive) return
    q.respActive = false
    if (q.srq !== undefined) {
      const s = q.srq
      const ctx = s.ctx[q.respSlot]
      this.releaseSrqSlot(s, q.respSlot)
      this.pushCqe(q.recvCq, status, op, q.qpn, bytes, key, ctx, sol)
    } else {
      const slot = q.respSlot
      const ctx = this.ctxs[q.rco + slot]
      this.ctxs[q.rco + slot] = undefined
      q.rqHead++
      this.pushCqe(q.recvCq, status, op, q.qpn, bytes, key, ctx, sol)
    }
  }

  private releaseSrqSlot(s: Srq, slot: number): void {
    s.ctx[slot] = undefined
    if (s.live) s.freeSlots[s.nfree++] = slot
  }

  /** Responder-side fatal error: complete the in-progress receive (if any), NAK, QP to error. */
  private respError(q: Qp, recvStatus: number, nak: number, psn: number): void {
    if (recvStatus !== 0 && q.respActive) this.finishRecv(q, recvStatus, OP_RECV, 0, 0, false)
    q.errNak = nak
    this.sendCtl(q, K_NAK, nak, psn)
    this.errorQp(q, 0, C.FLUSHED)
  }

  // ---- completer

  private completer(q: Qp, i: number, kind: number): void {
    const pk = this.fabric.pk
    const psn = pk.psn[i]!
    if (kind === K_ACK) {
      if (psn > q.ackPsn) {
        this.ackTo(q, psn)
      }
      return
    }
    if (kind === K_NAK) {
      const syn = pk.syndrome[i]!
      if (psn - 1 > q.ackPsn) this.ackTo(q, psn - 1)
      if (q.state !== QP_RTS) return
      if (syn === NAK_SEQ) {
        this.goBack(q, psn, false)
        return
      }
      if (syn === NAK_RNR) {
        if (this.config.rnrRetry < 7) {
          if (q.rnrLeft <= 0) {
            this.failAt(q, psn, C.RNR_RETRY_EXCEEDED)
            return
          }
          q.rnrLeft--
        }
        q.rnrPsn = psn
        q.timerKind = 2
        q.curActive = false
        this.armTimer(q, this.passNow + this.config.rnrTimerUs / 1000)
        return
      }
      const code = syn === NAK_REM_ACCESS
        ? C.REMOTE_ACCESS_ERROR
        : syn === NAK_REM_RANGE
        ? C.REMOTE_RANGE_ERROR
        : syn === NAK_REM_INV_REQ
        ? C.REMOTE_INVALID_REQUEST
        : C.REMOTE_OPERATION_ERROR
      this.failAt(q, psn, code)
      return
    }
    // read response: find the read WQE
    let n = q.sqHead
    let idx = -1
    while (n < q.sqTail) {
      const j = n & q.sqMask
      if (this.rec[q.wo + j * WS + W_STARTED] !== 1) break
      if (
        this.rec[q.wo + j * WS + W_OP] === OP_READ && this.rec[q.wo + j * WS + W_FIRST]! <= psn &&
        psn <= this.rec[q.wo + j * WS + W_LAST]!
      ) {
        idx = j
        break
      }
      n++
    }
    if (idx < 0) return
    const expect = this.rec[q.wo + idx * WS + W_RNEXT]!
    if (psn < expect) return
    if (psn > expect) {
      this.goBack(q, expect, false)
      return
    }
    // the response's place in the message follows from its PSN (a re-requested tail restarts the responder's count)
    const off = (psn - this.rec[q.wo + idx * WS + W_FIRST]!) * q.mtu
    const len = pk.len[i]!
    if (len !== Math.max(0, Math.min(q.mtu, this.rec[q.wo + idx * WS + W_TOTAL]! - off))) return
    if (len > 0) {
      const src = this.fabric.ports[pk.src[i]!] as NicCore
      this.placeRead(q, idx, off, src, pk.row[i]!, pk.va[i]!, len)
    }
    this.rec[q.wo + idx * WS + W_RNEXT] = expect + 1
    q.retryLeft = this.config.retryCount
    q.goBackMark = -1
    if (expect + 1 > this.rec[q.wo + idx * WS + W_LAST]!) {
      const before = q.sqHead
      this.complete(q)
      if (q.state === QP_RTS && q.sqHead !== before && q.timerKind === 0) {
        if (q.sqHead === q.sqReq && !q.curActive) q.timerAt = Infinity
        else this.armTimer(q, this.passNow + this.config.ackTimeoutUs / 1000)
      }
    }
  }

  private placeRead(q: Qp, i: number, off: number, src: NicCore, srow: number, sva: number, len: number): void {
    const b = i * q.sStride
    const n = this.rec[q.wo + i * WS + W_NSGE]!
    let pos = 0
    for (let k = 0; k < n && len > 0; k++) {
      const l = this.rec[q.so + (b + k) * SGS + SG_LEN]!
      if (off < pos + l) {
        const within = off - pos
        const c = Math.min(len, l - within)
        this.dma(
          this.rec[q.so + (b + k) * SGS + SG_ROW]!,
          this.rec[q.so + (b + k) * SGS + SG_ADDR]! + within,
          src,
          srow,
          sva,
          c
        )
        off += c
        sva += c
        len -= c
      }
      pos += l
    }
  }

  private ackTo(q: Qp, psn: number): void {
    q.ackPsn = psn
    q.retryLeft = this.config.retryCount
    q.rnrLeft = this.config.rnrRetry
    q.goBackMark = -1
    this.complete(q)
    if (q.state !== QP_RTS) return
    if (q.timerKind === 0) {
      if (q.sqHead === q.sqReq && !q.curActive) q.timerAt = Infinity
      else this.armTimer(q, this.passNow + this.config.ackTimeoutUs / 1000)
    }
    if (q.sqReq < q.sqBell || q.curActive) this.makeReady(q)
  }

  /** Completes WQEs from the head, in order. */
  private complete(q: Qp): void {
    const w = this.rec
    const mask = q.sqMask
    const ctxs = this.ctxs
    while (q.sqHead < q.sqReq) {
      const i = q.sqHead & mask
      const wb = q.wo + i * WS
      const st = w[wb + W_ST]!
      const op = w[wb + W_OP]!
      if (st !== 0) {
        if (w[wb + W_LAST]! > q.ackPsn) return
        this.failHead(q, st)
        return
      }
      if (op === OP_READ) {
        if (w[wb + W_RNEXT]! <= w[wb + W_LAST]!) return
        q.readsOut--
        if (w[wb + W_LAST]! > q.ackPsn) q.ackPsn = w[wb + W_LAST]!
        if ((w[wb + W_FLAGS]! & F_READ_LINV) !== 0 && this.config.readLocalInvalidate && w[wb + W_NSGE]! > 0) {
          this.invalidateKey(q.pd, this.rec[q.so + (i * q.sStride) * SGS + SG_KEY]!)
        }
      } else if (w[wb + W_LAST]! > q.ackPsn) return
      const ctx = ctxs[q.co + i]
      ctxs[q.co + i] = undefined
      q.sqHead++
      if ((w[wb + W_FLAGS]! & F_SILENT) === 0) this.pushCqe(q.sendCq, 0, op, q.qpn, w[wb + W_TOTAL]!, 0, ctx, false)
    }
    if (q.readsOut > 0 || q.sqReq < q.sqBell) this.makeReadyIfBlocked(q)
  }

  private makeReadyIfBlocked(q: Qp): void {
    if (q.state === QP_RTS && !q.reqBlocked && q.sqReq < q.sqBell) this.makeReady(q)
  }

  /** Fails the WQE containing psn (everything before it completed), then QP to error. */
  private failAt(q: Qp, psn: number, code: number): void {
    while (q.sqHead < q.sqReq) {
      const i = q.sqHead & q.sqMask
      if (this.rec[q.wo + i * WS + W_LAST]! >= psn && this.rec[q.wo + i * WS + W_OP]! <= OP_READ) break
      if (this.rec[q.wo + i * WS + W_ST] !== 0) break
      // everything before psn is acknowledged
      if (
        this.rec[q.wo + i * WS + W_OP] === OP_READ &&
        this.rec[q.wo + i * WS + W_RNEXT]! <= this.rec[q.wo + i * WS + W_LAST]!
      ) break
      const ctx = this.ctxs[q.co + i]
      this.ctxs[q.co + i] = undefined
      q.sqHead++
      if (this.rec[q.wo + i * WS + W_OP] === OP_READ) q.readsOut--
      if ((this.rec[q.wo + i * WS + W_FLAGS]! & F_SILENT) === 0) {
        this.pushCqe(
          q.sendCq,
          0,
          this.rec[q.wo + i * WS + W_OP]!,
          q.qpn,
          this.rec[q.wo + i * WS + W_TOTAL]!,
          0,
          ctx,
          false
        )
      }
    }
    this.failHead(q, code)
  }

  private failHead(q: Qp, code: number): void {
    this.errorQp(q, code, C.FLUSHED)
  }

  /** QP to error: the head WQE gets `headCode` (if non-zero), every other outstanding WR `rest`. */
  errorQp(q: Qp, headCode: number, rest: number): void {
    if (!q.live) return
    const wasError = q.state === QP_ERROR
    q.state = QP_ERROR
    q.curActive = false
    q.timerAt = Infinity
    q.timerKind = 0
    if (!wasError && q.errNak === 0) q.errNak = NAK_REM_OP
    let first = true
    while (q.sqHead < q.sqTail) {
      const i = q.sqHead & q.sqMask
      const code = first && headCode !== 0
        ? headCode
        : rest === C.FATAL_ERROR && this.rec[q.wo + i * WS + W_STARTED] !== 1
        ? C.FLUSHED
        : rest
      first = false
      const ctx = this.ctxs[q.co + i]
      this.ctxs[q.co + i] = undefined
      q.sqHead++
      this.pushCqe(q.sendCq, code, this.rec[q.wo + i * WS + W_OP]!, q.qpn, 0, 0, ctx, false)
    }
    q.sqReq = q.sqTail
    q.sqBell = q.sqTail
    q.readsOut = 0
    q.rdCount = 0
    q.respWriting = false
    if (q.respActive) this.finishRecv(q, C.FLUSHED, OP_RECV, 0, 0, false)
    this.flushRq(q)
  }

  private flushSq(q: Qp, from: number): void {
    void from
    this.errorQp(q, 0, C.FLUSHED)
  }

  private flushRq(q: Qp): void {
    while (q.rqHead < q.rqTail) {
      const slot = q.rqHead & q.rqMask
      const ctx = this.ctxs[q.rco + slot]
      this.ctxs[q.rco + slot] = undefined
      q.rqHead++
      this.pushCqe(q.recvCq, C.FLUSHED, OP_RECV, q.qpn, 0, 0, ctx, false)
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // reset / surprise removal

  reset(): void {
    if (this.removed) return
    this.removed = true
    this.fabric.detach(this)
    for (const q of this.qps) if (q !== undefined) this.errorQp(q, 0, C.FATAL_ERROR)
    for (const c of this.cqs) if (c !== undefined) this.cqFail(c, C.DEVICE_FATAL)
    for (const s of this.srqs) {
      if (s !== undefined && !s.failed) {
        s.failed = true
        this.event(s.handler, C.DEVICE_FATAL)
      }
    }
    this.errorQps.length = 0
    this.ready.length = 0
    this.readyHead = 0
    if (this.drainWatch.length > 0) this.checkDrains()
    this.wake()
  }

  takeMads(): { from: Array<number>; data: Array<Uint8Array> } | undefined {
    if (this.madData.length === 0) return undefined
    const out = { from: this.madFrom, data: this.madData }
    this.madFrom = []
    this.madData = []
    return out
  }

  /** the events being delivered (taken by `takeEvents`, cleared by `eventsDelivered`) */
  takenHandlers: Array<Handler | undefined> = []
  takenCodes: Array<number> = []

  /**
   * Takes pending events for delivery after the pass: they move to `takenHandlers`/`takenCodes` (events raised
   * meanwhile queue up anew); returns how many. No allocation: the two pairs of arrays swap.
   */
  takeEvents(): number {
    const n = this.evCodes.length
    if (n === 0) return 0
    const h = this.takenHandlers
    const c = this.takenCodes
    this.takenHandlers = this.evHandlers
    this.takenCodes = this.evCodes
    this.evHandlers = h
    this.evCodes = c
    return n
  }

  /** The taken events were delivered: their arrays become the spare pair (emptied by pops: `length = 0` is a runtime call). */
  eventsDelivered(): void {
    const h = this.takenHandlers
    const c = this.takenCodes
    while (c.length > 0) {
      c.pop()
      h.pop()
    }
  }
}
