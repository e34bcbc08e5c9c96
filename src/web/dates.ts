// Europe/London local date and time <-> UTC instants, correct across the clock changes.
const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })

function localParts(d: Date) {
  const p = Object.fromEntries(parts.formatToParts(d).map((x) => [x.type, x.value]))
  return { y: Number(p.year), m: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) }
}

/** London's offset from UTC at an instant, in ms (0 in winter, 3 600 000 in summer). */
export function londonOffset(at: Date): number {
  const l = localParts(at)
  return Date.UTC(l.y, l.m - 1, l.d, l.h, l.mi, l.s) - Math.floor(at.getTime() / 1000) * 1000
}

export function londonDateTime(at: Date): { date: string; time: string } {
  const l = localParts(at)
  const pad = (n: number) => String(n).padStart(2, '0')
  return { date: `${l.y}-${pad(l.m)}-${pad(l.d)}`, time: `${pad(l.h)}:${pad(l.mi)}` }
}

/** The instant of a London wall-clock time ('YYYY-MM-DD', 'HH:MM'). In the autumn overlap the earlier instant. */
londonDateTime.toInstant = function toInstant(date: string, time = '00:00'): Date {
  const [y, m, d] = date.split('-').map(Number)
  const [h, mi] = time.split(':').map(Number)
  const naive = Date.UTC(y!, m! - 1, d!, h!, mi!)
  const first = naive - londonOffset(new Date(naive))
  const second = naive - londonOffset(new Date(first))
  return new Date(Math.min(first, second))
}
