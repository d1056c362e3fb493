/**
 * Helpers shared by the flag-set modules.
 *
 * @internal
 */

/** @internal */
export const describeFlags = (
  flags: number,
  members: ReadonlyArray<readonly [name: string, value: number]>
): ReadonlyArray<string> => {
  let rest = flags >>> 0
  const out: Array<string> = []
  // Widest members first, so that a composite (e.g. ALLOW_REMOTE_WRITE = 0x5) is named before its bits.
  const sorted = [...members].filter(([, v]) => v !== 0).sort(([, a], [, b]) => popcount(b) - popcount(a) || b - a)
  for (const [name, value] of sorted) {
    if ((rest & value) === value) {
      out.push(name)
      rest = (rest & ~value) >>> 0
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16).toUpperCase()}`)
  return out
}

/** @internal */
export const popcount = (n: number): number => {
  let v = n >>> 0
  let c = 0
  while (v !== 0) {
    v &= v - 1
    c++
  }
  return c
}
