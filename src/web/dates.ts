// Europe/London local date and time <-> UTC instants, correct across the clock changes.
const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })

/** London's wall-clock parts at an instant, as Intl gives them (slow: a formatToParts call). */
function intlParts(d: Date) {
  const p = Object.fromEntries(parts.formatToParts(d).map((x) => [x.type, x.value]))
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) }
}

// London's offset changes only on the hour (01:00 UTC, since 1972), so it is asked of Intl once per UTC hour and
// remembered: formatting dates was a measurable share of every request (the concern form, the pages' dates).
const HOUR = 3_600_000
const offsets = new Map<number, number>()
function offsetAt(t: number): number {
  const hour = Math.floor(t / HOUR)
  let o = offsets.get(hour)
  if (o === undefined) {
    const at = new Date(hour * HOUR)
    const l = intlParts(at)
    o = Date.UTC(l.y, l.m - 1, l.d, l.h, l.mi, l.s) - at.getTime()
    if (offsets.size > 50_000) offsets.clear()
    offsets.set(hour, o)
  }
  return o
}

/** London's wall-clock parts at an instant (month 1-12). */
export function londonParts(d: Date): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const l = new Date(d.getTime() + offsetAt(d.getTime()))
  return { y: l.getUTCFullYear(), m: l.getUTCMonth() + 1, d: l.getUTCDate(), h: l.getUTCHours(), mi: l.getUTCMinutes(), s: l.getUTCSeconds() }
}

/** London's offset from UTC at an instant, in ms (0 in winter, 3 600 000 in summer). */
export function londonOffset(at: Date): number {
  return offsetAt(at.getTime())
}

/** For the tests: the parts as Intl gives them, and as the cached offset gives them. */
export const londonPartsForTest = { intl: intlParts, cached: londonParts }

export function londonDateTime(at: Date): { date: string; time: string } {
  const l = londonParts(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return { date: `${l.y}-${pad(l.m)}-${pad(l.d)}`, time: `${pad(l.h)}:${pad(l.mi)}` }
}

/**
 * The instant of a London wall-clock time ('YYYY-MM-DD', 'HH:MM'). In the autumn overlap (the hour that happens
 * twice) the earlier instant; in the spring gap (the hour that never happens) the time is moved forward by the gap,
 * as Temporal's 'compatible' disambiguation does (01:30 on the spring change day is 02:30 BST).
 */
londonDateTime.toInstant = function toInstant(date: string, time = '00:00'): Date {
  const [y, m, d] = date.split('-').map(Number)
  const [h, mi] = time.split(':').map(Number)
  const naive = Date.UTC(y!, m! - 1, d!, h!, mi!)
  const before = offsetAt(naive - 12 * HOUR)
  const after = offsetAt(naive + 12 * HOUR)
  const matching = [...new Set([before, after])]
    .map((o) => naive - o)
    .filter((t) => {
      const l = londonParts(new Date(t))
      return l.y === y && l.m === m && l.d === d && l.h === h && l.mi === mi
    })
  return new Date(matching.length ? Math.min(...matching) : naive - before)
}
