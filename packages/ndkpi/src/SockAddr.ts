/**
 * Socket addresses as NDKPI connection functions take them (SPEC.md §0: `SockAddr`), with the Winsock sizes
 * used by `*Length` checks.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AF_INET, AF_INET6, SOCKADDR_IN6_SIZE, SOCKADDR_IN_SIZE } from "./Constants.js"

/**
 * A local or remote IP address with an ND port (`SOCKADDR_IN` / `SOCKADDR_IN6`). Port 0 asks the provider for an
 * ephemeral port.
 *
 * @since 0.1.0
 * @category models
 */
export interface SockAddr {
  readonly family: 2 | 23
  readonly address: string
  readonly port: number
}

/**
 * `sizeof(SOCKADDR_IN)` (16) for IPv4, `sizeof(SOCKADDR_IN6)` (28) for IPv6.
 *
 * @since 0.1.0
 * @category getters
 */
export const byteLength = (addr: SockAddr): number => addr.family === AF_INET ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

/**
 * True for a dotted-quad IPv4 address (`10.0.0.1`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isIpv4 = (s: string): boolean => ipv4.test(s)

/**
 * True for a textual IPv6 address: up to eight hex groups with at most one `::`, optionally ending in an IPv4
 * dotted quad.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isIpv6 = (s: string): boolean => {
  let text = s
  let groupsForTail = 0
  const lastColon = text.lastIndexOf(":")
  if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
    if (!isIpv4(text.slice(lastColon + 1))) return false
    text = text.slice(0, lastColon + 1) + "0"
    groupsForTail = 1
  }
  const halves = text.split("::")
  if (halves.length > 2) return false
  const group = /^[0-9a-fA-F]{1,4}$/
  const parts = (h: string): Array<string> | undefined => {
    if (h === "") return []
    const g = h.split(":")
    return g.every((x) => group.test(x)) ? g : undefined
  }
  const head = parts(halves[0])
  const tail = halves.length === 2 ? parts(halves[1]) : []
  if (head === undefined || tail === undefined) return false
  // An embedded IPv4 tail stands for two groups; it was replaced by one group "0" above.
  const groups = head.length + tail.length + groupsForTail
  return halves.length === 2 ? groups <= 7 : groups === 8
}

/**
 * An IPv4 socket address.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ipv4Addr = (address: string, port: number): SockAddr => ({ family: AF_INET, address, port })

/**
 * An IPv6 socket address.
 *
 * @since 0.1.0
 * @category constructors
 */
export const ipv6Addr = (address: string, port: number): SockAddr => ({ family: AF_INET6, address, port })

/**
 * Schema of a socket address: family `AF_INET` (2) or `AF_INET6` (23), an address of that family, and a port in
 * 0..65535.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SockAddr: Schema.Schema<SockAddr> = Schema.Struct({
  family: Schema.Literal(AF_INET, AF_INET6),
  address: Schema.String,
  port: Schema.Number.pipe(
    Schema.filter((n) => (Number.isInteger(n) && n >= 0 && n <= 65535) || `expected a port in 0..65535, got ${n}`)
  )
}).pipe(
  Schema.filter((a) =>
    (a.family === AF_INET ? isIpv4(a.address) : isIpv6(a.address)) ||
    `expected an ${a.family === AF_INET ? "IPv4" : "IPv6"} address for family ${a.family}, got "${a.address}"`
  ),
  Schema.annotations({ identifier: "SockAddr" })
)
