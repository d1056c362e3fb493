/**
 * Per-host local endpoint registry (SPEC.md §8.9, §9.9): which local IP address + ND port pairs are bound,
 * by which kind of endpoint, with reference counts; ephemeral port allocation (49152–65535); and the table of
 * connection 4-tuples (local address/port + remote address/port) for `STATUS_ADDRESS_ALREADY_EXISTS`.
 *
 * One registry exists per host (per NIC): every adapter instance opened on that NIC shares it, as the
 * address space of a real miniport is shared by all its NDK adapter instances.
 *
 * Addresses: a NIC on the fabric has a numeric address `n`; its IPv4 address is `10.a.b.c` (the 24 low bits
 * of `n`) and its IPv6 address is `fd00::<hi>:<lo>` (the 32 bits of `n` as two hex groups; any spelling of
 * it is accepted, the expanded form is reported). See
 * {@link ipv4Of}, {@link ipv6Of}, {@link nicAddressOf}.
 *
 * @internal
 */
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"

const S = NtStatus

/** First and last ephemeral port (SPEC.md §5.1 `STATUS_TOO_MANY_ADDRESSES`). */
export const EPHEMERAL_FIRST = 49152
/** @internal */
export const EPHEMERAL_LAST = 65535

// ---------------------------------------------------------------------------------------------------------------
// addressing plan

/** IPv4 text of a fabric address (`10.x.y.z`, 24 low bits). */
export const ipv4Of = (n: number): string => `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`

/** IPv6 text of a fabric address (`fd00:0:0:0:0:0:hi:lo`, the canonical expanded form the provider reports). */
export const ipv6Of = (n: number): string =>
  `fd00:0:0:0:0:0:${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`

const v4 = /^10\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** The eight 16-bit groups of an IPv6 text address (with `::` expanded), or `undefined`. */
const v6Groups = (text: string): Array<number> | undefined => {
  const halves = text.toLowerCase().split("::")
  if (halves.length > 2) return undefined
  const parse = (h: string): Array<number> | undefined => {
    if (h === "") return []
    const out: Array<number> = []
    for (const g of h.split(":")) {
      if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined
      out.push(parseInt(g, 16))
    }
    return out
  }
  const head = parse(halves[0]!)
  const tail = halves.length === 2 ? parse(halves[1]!) : []
  if (head === undefined || tail === undefined) return undefined
  if (halves.length === 1) return head.length === 8 ? head : undefined
  if (head.length + tail.length > 7) return undefined
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail]
}

/** Canonical text of an IP (lower case; IPv6 fully expanded), or `undefined` when it does not parse. */
export const canonicalIp = (addr: SockAddr): string | undefined => {
  if (addr.family === 2) {
    const m = v4.exec(addr.address)
    return m === null ? undefined : `10.${Number(m[1])}.${Number(m[2])}.${Number(m[3])}`
  }
  const g = v6Groups(addr.address)
  return g === undefined ? undefined : g.map((x) => x.toString(16)).join(":")
}

/**
 * The fabric address an IP names under the addressing plan, or `undefined` when the address lies outside the
 * plan (another network: `STATUS_NETWORK_UNREACHABLE` for a destination).
 */
export const nicAddressOf = (addr: SockAddr): number | undefined => {
  if (addr.family === 2) {
    const m = v4.exec(addr.address)
    if (m === null) return undefined
    const a = Number(m[1]), b = Number(m[2]), c = Number(m[3])
    if (a > 255 || b > 255 || c > 255) return undefined
    return (a << 16) | (b << 8) | c
  }
  const g = v6Groups(addr.address)
  if (g === undefined || g[0] !== 0xfd00 || g[1] !== 0 || g[2] !== 0 || g[3] !== 0 || g[4] !== 0 || g[5] !== 0) {
    return undefined
  }
  return ((g[6]! << 16) | g[7]!) >>> 0
}

/**
 * Whether `addr` names the unspecified address of its family (`0.0.0.0`, `::` in any spelling): a listener bound
 * to it listens on every address of the adapter in that family (model decision, see {@link EndpointRegistry.bind}).
 */
export const isWildcard = (addr: SockAddr): boolean => {
  if (addr.family === 2) return addr.address === "0.0.0.0"
  const g = v6Groups(addr.address)
  return g !== undefined && g.every((x) => x === 0)
}

/** Canonical text of the unspecified address of a family. */
const wildcardIp = (family: 2 | 23): string => family === 2 ? "0.0.0.0" : "0:0:0:0:0:0:0:0"

/** The {@link ipKey} of the unspecified address of a family. */
export const wildcardKey = (family: 2 | 23): string => `${family}/${wildcardIp(family)}`

/** Canonical key of an IP (family + canonical text). */
export const ipKey = (addr: SockAddr): string => `${addr.family}/${canonicalIp(addr) ?? addr.address.toLowerCase()}`

// ---------------------------------------------------------------------------------------------------------------
// endpoints

/** What bound an endpoint. */
export type EndpointKind = "listener" | "connector" | "shared"

/** A bound local address + port, reference-counted (SPEC.md §8.9 table). */
export class Endpoint {
  /** references: the owning object + each connector using it */
  refs = 1
  /** the listener accepting on this endpoint while it listens (cleared when its close is requested) */
  acceptor: unknown = undefined
  freed = false
  constructor(
    readonly registry: EndpointRegistry,
    readonly kind: EndpointKind,
    readonly family: 2 | 23,
    readonly ip: string,
    readonly port: number
  ) {}
  /** bound to the unspecified address of its family (a listener on every address of the adapter) */
  get wildcard(): boolean {
    return this.ip === wildcardIp(this.family)
  }
  /** the local socket address of this endpoint */
  get address(): SockAddr {
    return { family: this.family, address: this.ip, port: this.port }
  }
  get key(): string {
    return `${this.family}/${this.ip}|${this.port}`
  }
}

/** Result of a bind: the endpoint, or the NTSTATUS of the failure. */
export type BindResult = Endpoint | number

/**
 * The registry of one host.
 */
export class EndpointRegistry {
  readonly byKey = new Map<string, Endpoint>()
  readonly tuples = new Set<string>()
  private cursor = 0
  constructor(
    readonly nicAddress: number,
    readonly ephemeralFirst: number = EPHEMERAL_FIRST,
    readonly ephemeralLast: number = EPHEMERAL_LAST
  ) {}

  /** Whether `addr` is one of this host's addresses (`STATUS_INVALID_ADDRESS` otherwise). */
  owns(addr: SockAddr): boolean {
    return nicAddressOf(addr) === this.nicAddress
  }

  /**
   * The keys an endpoint on (family, ip, port) collides with: its own, and — since the unspecified address covers
   * every address of the host in its family (one per family here) — the host's own address for a wildcard, the
   * wildcard for the host's own address.
   */
  private taken(family: 2 | 23, ip: string, port: number): boolean {
    if (this.byKey.has(`${family}/${ip}|${port}`)) return true
    const wild = wildcardIp(family)
    const other = ip === wild ? this.ownIp(family) : wild
    return this.byKey.has(`${family}/${other}|${port}`)
  }

  private ownIp(family: 2 | 23): string {
    return family === 2 ? ipv4Of(this.nicAddress) : canonicalIp({ family, address: ipv6Of(this.nicAddress), port: 0 })!
  }

  /**
   * Binds `addr` (port 0 ⇒ an ephemeral port): `STATUS_INVALID_ADDRESS` for a foreign IP,
   * `STATUS_SHARING_VIOLATION` when the address+port is held by a live endpoint, `STATUS_TOO_MANY_ADDRESSES`
   * when no ephemeral port is left. With `wildcard`, the unspecified address of the family is accepted too (a
   * listener's, SPEC.md is silent; model: it listens on every address of the adapter in that family and collides
   * with any endpoint of that family on the same port, and they with it — as a socket bound to `INADDR_ANY`).
   */
  bind(addr: SockAddr, kind: EndpointKind, wildcard = false): BindResult {
    const wild = wildcard && isWildcard(addr)
    if (!wild && !this.owns(addr)) return S.STATUS_INVALID_ADDRESS
    const ip = wild ? wildcardIp(addr.family) : canonicalIp(addr)!
    if (addr.port !== 0) {
      if (this.taken(addr.family, ip, addr.port)) return S.STATUS_SHARING_VIOLATION
      const ep = new Endpoint(this, kind, addr.family, ip, addr.port)
      this.byKey.set(ep.key, ep)
      return ep
    }
    const span = this.ephemeralLast - this.ephemeralFirst + 1
    for (let i = 0; i < span; i++) {
      const port = this.ephemeralFirst + ((this.cursor + i) % span)
      if (!this.taken(addr.family, ip, port)) {
        this.cursor = (this.cursor + i + 1) % span
        const ep = new Endpoint(this, kind, addr.family, ip, port)
        this.byKey.set(ep.key, ep)
        return ep
      }
    }
    return S.STATUS_TOO_MANY_ADDRESSES
  }

  /** The listening endpoint on `addr`, if one exists. */
  lookup(addr: SockAddr): Endpoint | undefined {
    return this.byKey.get(`${ipKey(addr)}|${addr.port}`)
  }

  /** +1 reference (a connector starts using the endpoint). */
  retain(ep: Endpoint): void {
    ep.refs++
  }

  /** −1 reference; the address+port is free again when the count reaches zero. */
  release(ep: Endpoint): void {
    if (ep.freed) return
    if (--ep.refs <= 0) {
      ep.freed = true
      ep.acceptor = undefined
      this.byKey.delete(ep.key)
    }
  }

  /** Claims a connection 4-tuple; `false` when it already exists (`STATUS_ADDRESS_ALREADY_EXISTS`). */
  claimTuple(local: SockAddr, remote: SockAddr): string | undefined {
    const t = tupleKey(local, remote)
    if (this.tuples.has(t)) return undefined
    this.tuples.add(t)
    return t
  }

  releaseTuple(t: string | undefined): void {
    if (t !== undefined) this.tuples.delete(t)
  }
}

const tupleKey = (l: SockAddr, r: SockAddr): string => `${ipKey(l)}|${l.port}>${ipKey(r)}|${r.port}`

const registries = new WeakMap<object, EndpointRegistry>()

/** The registry of the host whose NIC is `nic` (created on first use). */
export const registryOf = (nic: object, nicAddress: number): EndpointRegistry => {
  let r = registries.get(nic)
  if (r === undefined) {
    r = new EndpointRegistry(nicAddress)
    registries.set(nic, r)
  }
  return r
}
