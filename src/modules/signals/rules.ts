// Risk signals: rules that fire when strands from different agencies combine. Rules are data (per partnership,
// versioned); this is the evaluator. Pure: it takes a child's entries and returns what fires, naming the entries.
import type { EntryMatch, SignalDefinition } from '../../data/schema.ts'

export interface SignalEntry {
  id: string
  type: string
  category: string | null
  occurredAt: Date
  sourceAgencyId: string
}

export const DEFAULT_SIGNAL_RULES: { code: string; name: string; definition: SignalDefinition }[] = [
  {
    code: 'multi_agency_concerns',
    name: 'Three or more concerns from two or more agencies within 30 days',
    definition: { kind: 'count', match: { types: ['concern', 'incident', 'notice', 'contact', 'referral'] }, minCount: 3, minAgencies: 2, windowDays: 30 },
  },
  {
    code: 'missing_and_attendance',
    name: 'A missing episode and falling attendance within 30 days',
    definition: { kind: 'combination', first: { types: ['missing_episode'] }, second: { types: ['attendance'] }, windowDays: 30 },
  },
  {
    code: 'domestic_abuse_and_health',
    name: 'A domestic abuse notice and a health attendance within 14 days',
    definition: { kind: 'combination', first: { types: ['notice', 'incident'], categories: ['domestic_abuse'] }, second: { types: ['health_attendance'] }, windowDays: 14 },
  },
  {
    code: 'repeat_missing',
    name: 'Three or more missing episodes within 30 days',
    definition: { kind: 'count', match: { types: ['missing_episode'] }, minCount: 3, minAgencies: 1, windowDays: 30 },
  },
]

const DAY = 86_400_000

function matches(e: SignalEntry, m: EntryMatch): boolean {
  return m.types.includes(e.type) && (!m.categories?.length || (e.category !== null && m.categories.includes(e.category)))
}

/** The most recent set of entries that satisfies the rule, or null. */
export function evaluate(def: SignalDefinition, entries: readonly SignalEntry[]): SignalEntry[] | null {
  const sorted = [...entries].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())
  const w = def.windowDays * DAY
  if (def.kind === 'count') {
    const hits = sorted.filter((e) => matches(e, def.match))
    // slide a window ending at each hit, latest first
    for (let end = hits.length - 1; end >= 0; end--) {
      const endAt = hits[end]!.occurredAt.getTime()
      const inWindow = hits.filter((e, i) => i <= end && endAt - e.occurredAt.getTime() <= w)
      if (inWindow.length >= def.minCount && new Set(inWindow.map((e) => e.sourceAgencyId)).size >= def.minAgencies) return inWindow
    }
    return null
  }
  const firsts = sorted.filter((e) => matches(e, def.first))
  const seconds = sorted.filter((e) => matches(e, def.second))
  let best: [SignalEntry, SignalEntry] | null = null
  for (const a of firsts) {
    for (const b of seconds) {
      if (a.id === b.id || Math.abs(a.occurredAt.getTime() - b.occurredAt.getTime()) > w) continue
      const latest = Math.max(a.occurredAt.getTime(), b.occurredAt.getTime())
      if (!best || latest > Math.max(best[0].occurredAt.getTime(), best[1].occurredAt.getTime())) best = [a, b]
    }
  }
  return best
}

/** The longest window of any rule: how far back the evaluator needs to read. */
export function lookbackDays(defs: readonly SignalDefinition[]): number {
  return Math.max(30, ...defs.map((d) => d.windowDays))
}
