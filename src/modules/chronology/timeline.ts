// The timeline picture: a server-rendered SVG with one swimlane per agency, a marker per entry (shape by
// significance, colour by category), signals highlighted. It is a picture of the chronology the viewer can
// already see; the chronology table is its text alternative.
export interface TimelineEntry {
  id: string
  occurred_at: Date
  agency: string
  type: string
  category: string | null
  significance: 'low' | 'medium' | 'high' | 'critical'
}

const PALETTE = ['#1d70b8', '#d4351c', '#00703c', '#f47738', '#4c2c92', '#b58840', '#28a197', '#d53880', '#505a5f', '#912b88']
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

export function timelineSvg(entries: readonly TimelineEntry[], opts: { title: string; width?: number } = { title: 'Timeline' }): string {
  const width = opts.width ?? 1100
  const left = 220
  const right = 20
  const top = 40
  const lane = 46
  const agencies = [...new Set(entries.map((e) => e.agency))].sort()
  const categories = [...new Set(entries.map((e) => e.category ?? e.type))].sort()
  const colour = (e: TimelineEntry) => PALETTE[categories.indexOf(e.category ?? e.type) % PALETTE.length]!
  const height = top + Math.max(1, agencies.length) * lane + 60 + Math.ceil(categories.length / 4) * 22
  if (!entries.length) {
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} 80" width="${width}" height="80" role="img" aria-labelledby="t"><title id="t">${esc(opts.title)}: no entries</title><text x="20" y="45" font-family="sans-serif" font-size="16">No entries you are entitled to see.</text></svg>`
  }
  const times = entries.map((e) => e.occurred_at.getTime())
  let min = Math.min(...times)
  let max = Math.max(...times)
  if (max - min < 7 * 86_400_000) {
    min -= 3.5 * 86_400_000
    max += 3.5 * 86_400_000
  }
  const x = (t: number) => left + ((t - min) / (max - min)) * (width - left - right)
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="tl-title tl-desc" font-family="system-ui, Arial, sans-serif">`)
  parts.push(`<title id="tl-title">${esc(opts.title)}</title><desc id="tl-desc">${entries.length} entries from ${agencies.length} agencies between ${new Date(min).toISOString().slice(0, 10)} and ${new Date(max).toISOString().slice(0, 10)}. The chronology table has the same entries as text.</desc>`)
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  // month ticks (at most ~14 labels)
  const start = new Date(min)
  const months: Date[] = []
  for (let d = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1)); d.getTime() <= max; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) months.push(d)
  const step = Math.max(1, Math.ceil(months.length / 14))
  months.forEach((m, i) => {
    if (m.getTime() < min) return
    const mx = x(m.getTime()).toFixed(1)
    parts.push(`<line x1="${mx}" y1="${top - 8}" x2="${mx}" y2="${top + agencies.length * lane}" stroke="#b1b4b6" stroke-width="1"/>`)
    if (i % step === 0) parts.push(`<text x="${mx}" y="${top - 14}" font-size="12" fill="#0b0c0c" text-anchor="middle">${MONTHS[m.getUTCMonth()]} ${m.getUTCFullYear()}</text>`)
  })
  agencies.forEach((a, i) => {
    const y = top + i * lane
    parts.push(`<rect x="0" y="${y}" width="${width}" height="${lane}" fill="${i % 2 ? '#ffffff' : '#f3f2f1'}" opacity="0.7"/>`)
    parts.push(`<text x="10" y="${y + lane / 2 + 5}" font-size="14" font-weight="bold" fill="#0b0c0c">${esc(a.length > 28 ? `${a.slice(0, 27)}…` : a)}</text>`)
  })
  // markers: low and medium small circles; high larger; critical a diamond; signals outlined in red
  const sorted = [...entries].sort((p, q) => ({ low: 0, medium: 1, high: 2, critical: 3 })[p.significance] - ({ low: 0, medium: 1, high: 2, critical: 3 })[q.significance])
  for (const e of sorted) {
    const cx = x(e.occurred_at.getTime()).toFixed(1)
    const cy = (top + agencies.indexOf(e.agency) * lane + lane / 2).toFixed(1)
    const fill = colour(e)
    const label = esc(`${e.occurred_at.toISOString().slice(0, 10)}: ${e.type.replace(/_/g, ' ')}${e.category ? ` (${e.category.replace(/_/g, ' ')})` : ''}, ${e.significance}`)
    const signal = e.type === 'signal'
    if (e.significance === 'critical' || signal) {
      const r = 9
      parts.push(`<path d="M${cx} ${Number(cy) - r} l${r} ${r} l${-r} ${r} l${-r} ${-r} z" fill="${fill}" stroke="${signal ? '#d4351c' : '#0b0c0c'}" stroke-width="${signal ? 3 : 1.5}"><title>${label}</title></path>`)
    } else {
      const r = e.significance === 'high' ? 7 : e.significance === 'medium' ? 5 : 3.5
      parts.push(`<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}" fill-opacity="0.85" stroke="#0b0c0c" stroke-width="1"><title>${label}</title></circle>`)
    }
  }
  // legend
  const ly = top + agencies.length * lane + 28
  parts.push(`<text x="10" y="${ly}" font-size="13" fill="#0b0c0c">Size: significance (small low, large high, diamond critical). Red outline: a risk signal.</text>`)
  categories.forEach((c, i) => {
    const lx = 10 + (i % 4) * 270
    const y = ly + 22 + Math.floor(i / 4) * 22
    parts.push(`<circle cx="${lx + 6}" cy="${y - 4}" r="6" fill="${PALETTE[i % PALETTE.length]}"/><text x="${lx + 18}" y="${y}" font-size="13" fill="#0b0c0c">${esc(c.replace(/_/g, ' '))}</text>`)
  })
  parts.push('</svg>')
  return parts.join('')
}
