// The timeline picture: a server-rendered SVG with one swimlane per agency and a marker per entry. It is a
// picture of the chronology the viewer can already see; the chronology table is its text alternative.
//
// Legible at 500 entries, whether they span years or a few weeks:
// - time is cut into columns one marker wide; the entries of an agency that fall in the same column are stacked
//   upwards (a stacked dot plot), and the lane grows to fit its tallest stack. A stack is capped at MAX_ROWS: a
//   busier column shows its MAX_ROWS - 1 most significant entries (risk signals first) and, on top, a dark box
//   with the number of the others, whose <title> says how many and which categories they are;
// - category is colour (Okabe–Ito, safe for colour-blind viewers) and shape together: the known categories have
//   fixed glyphs, others take the next unused pair, and no pair repeats (48 pairs); a legend lists every
//   category in use. Significance is size, critical adds a heavy outline; a risk signal is a star in a ring;
// - agency names wrap onto two lines and are truncated with an ellipsis (full name in a <title>) to fit the
//   label column, which is clipped as well; axis ticks step from days to years so that labels never collide.
import { DEFAULT_CONCERN_CATEGORIES } from '../../data/partnership-defaults.ts'
import { esc as escHtml } from './html.ts'
import { categoryLabel, entryTypeLabel } from '../../platform/http/render.ts'
import { londonDateTime } from '../../web/dates.ts'

/** Characters XML 1.0 does not allow at all, escaped or not (U+FFFE, U+FFFF, a lone surrogate, C0 controls). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu
/**
 * A value as SVG text: escaped as the page escapes it, and every character XML forbids shown as U+FFFD. A name or a
 * category holding one would otherwise make the whole picture unreadable to the browser's XML parser (a broken image).
 */
const esc = (v: unknown): string => escHtml(v).replace(NOT_XML, '\uFFFD')

export interface TimelineEntry {
  id: string
  occurred_at: Date
  agency: string
  type: string
  category: string | null
  significance: 'low' | 'medium' | 'high' | 'critical'
}

type Significance = TimelineEntry['significance']

const FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
const INK = '#0b0c0c'
const SIGNAL = '#d4351c'
const DAY = 86_400_000
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

// layout (px)
const LABEL_X = 8
const LABEL_RIGHT = 192 // agency names end before this; the plot starts at PLOT_X0
const PLOT_X0 = 210
const RIGHT = 20
const TOP = 44
const CELL = 20 // one marker's column and row
const MAX_ROWS = 8
const LANE_PAD = 4
const LANE_MIN = 44
const LABEL_SIZE = 13
const LABEL_LINE = 16

/** Okabe–Ito's colour-blind-safe palette, black last. */
const COLOURS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'] as const
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'plus'] as const
type Shape = (typeof SHAPES)[number] | 'star'
/** Glyph i: every (colour, shape) pair once, neighbours differing in both. */
const GLYPHS = Array.from({ length: COLOURS.length * SHAPES.length }, (_, i) => ({ colour: COLOURS[i % COLOURS.length]!, shape: SHAPES[((i % COLOURS.length) + Math.floor(i / COLOURS.length)) % SHAPES.length]! }))
/** The partnership defaults' concern categories keep the same glyph on every child's timeline (their names are the partnership's: `categoryLabels`). */
const KNOWN = DEFAULT_CONCERN_CATEGORIES.map(([code]) => code)
const SIZE: Record<Significance, number> = { low: 7, medium: 10, high: 13, critical: 13 }
const RANK: Record<Significance, number> = { low: 0, medium: 1, high: 2, critical: 3 }

const n1 = (v: number) => String(Math.round(v * 10) / 10)
/** An entry's date as the chronology table gives it: London's (an entry at 00:30 BST is that day's, not the day before's). */
const ymd = (t: number) => londonDateTime(new Date(t)).date

// Advance widths (1/1000 em) of ASCII 32–126 in Arial / Liberation Sans / Helvetica, regular and bold.
const REGULAR = [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584]
const BOLD = [278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584]

/** The width in px of a line of text in the picture's font; generous for characters outside ASCII. */
export function textWidth(text: string, fontSize: number, bold = false): number {
  const table = bold ? BOLD : REGULAR
  let w = 0
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    w += c >= 32 && c < 127 ? table[c - 32]! : ch === '…' ? 1000 : c >= 0x2e80 ? 1000 : 780
  }
  return (w / 1000) * fontSize
}

/** Text cut to fit maxWidth, ending in an ellipsis when cut. */
function fit(text: string, maxWidth: number, fontSize: number, bold: boolean): string {
  if (textWidth(text, fontSize, bold) <= maxWidth) return text
  const chars = [...text]
  while (chars.length && textWidth(`${chars.join('').trimEnd()}…`, fontSize, bold) > maxWidth) chars.pop()
  return `${chars.join('').trimEnd()}…`
}

/** A name on at most `lines` lines of maxWidth, broken at spaces and after hyphens (inside a word only if it must be); truncated with an ellipsis when it does not fit. */
export function wrapLabel(text: string, maxWidth: number, fontSize: number, bold: boolean, lines = 2): { lines: string[]; truncated: boolean } {
  const w = (s: string) => textWidth(s, fontSize, bold)
  // tokens: `tight` ones join the next without a space (after a hyphen, or a word cut because it is wider than a line)
  const tokens: { s: string; tight: boolean }[] = []
  for (const word of text.trim().split(/\s+/)) {
    const pieces = word.split(/(?<=-)/)
    pieces.forEach((piece, i) => {
      let rest = [...piece]
      while (w(rest.join('')) > maxWidth && rest.length > 1) {
        let k = rest.length - 1
        while (k > 1 && w(rest.slice(0, k).join('')) > maxWidth) k--
        tokens.push({ s: rest.slice(0, k).join(''), tight: true })
        rest = rest.slice(k)
      }
      tokens.push({ s: rest.join(''), tight: i < pieces.length - 1 })
    })
  }
  const joined = (from: number, to: number) => tokens.slice(from, to).map((t, i, all) => t.s + (i < all.length - 1 && !t.tight ? ' ' : '')).join('')
  const out: string[] = []
  let i = 0
  while (i < tokens.length && out.length < lines) {
    let j = i + 1
    while (j < tokens.length && w(joined(i, j + 1)) <= maxWidth) j++
    out.push(joined(i, out.length === lines - 1 ? tokens.length : j))
    i = out.length === lines ? tokens.length : j
  }
  const fitted = out.map((l) => fit(l, maxWidth, fontSize, bold))
  return { lines: fitted, truncated: fitted.some((l, k) => l !== out[k]) }
}

/** An outlined glyph centred on (cx, cy), `size` across; paths use absolute coordinates only. */
function glyph(shape: Shape, cx: number, cy: number, size: number, fill: string, stroke: string, strokeWidth: number): string {
  const h = size / 2
  const attrs = `fill="${fill}" stroke="${stroke}" stroke-width="${strokeWidth}" stroke-linejoin="round"`
  const path = (pts: [number, number][]) => `<path d="M${pts.map(([x, y]) => `${n1(x)} ${n1(y)}`).join(' L')} Z" ${attrs}/>`
  switch (shape) {
    case 'circle':
      return `<circle cx="${n1(cx)}" cy="${n1(cy)}" r="${n1(h)}" ${attrs}/>`
    case 'square': {
      const s = h * 0.9
      return path([[cx - s, cy - s], [cx + s, cy - s], [cx + s, cy + s], [cx - s, cy + s]])
    }
    case 'triangle':
      return path([[cx, cy - h], [cx + h, cy + h * 0.8], [cx - h, cy + h * 0.8]])
    case 'triangle-down':
      return path([[cx - h, cy - h * 0.8], [cx + h, cy - h * 0.8], [cx, cy + h]])
    case 'diamond':
      return path([[cx, cy - h], [cx + h, cy], [cx, cy + h], [cx - h, cy]])
    case 'plus': {
      const a = h / 2.6
      return path([[cx - a, cy - h], [cx + a, cy - h], [cx + a, cy - a], [cx + h, cy - a], [cx + h, cy + a], [cx + a, cy + a], [cx + a, cy + h], [cx - a, cy + h], [cx - a, cy + a], [cx - h, cy + a], [cx - h, cy - a], [cx - a, cy - a]])
    }
    case 'star': {
      const pts: [number, number][] = []
      for (let k = 0; k < 10; k++) {
        const r = k % 2 ? h * 0.45 : h
        const a = -Math.PI / 2 + (k * Math.PI) / 5
        pts.push([cx + r * Math.cos(a), cy + r * Math.sin(a)])
      }
      return path(pts)
    }
  }
}

interface Tick {
  t: number
  label: string | null
}

/**
 * Gridlines and their labels, from days to decades: the finest step whose labels fit between each other.
 * A label that would stick out of the plot's ends is left off (its gridline stays); the first label carries
 * the year, as does each first of January.
 */
function axisTicks(min: number, max: number, x: (t: number) => number, right: number): Tick[] {
  const utc = (y: number, m: number, d = 1) => Date.UTC(y, m, d)
  const days = (n: number, monday: boolean) => {
    const s = new Date(min)
    let t = utc(s.getUTCFullYear(), s.getUTCMonth(), s.getUTCDate())
    if (monday) t += ((8 - new Date(t).getUTCDay()) % 7) * DAY
    const out: number[] = []
    for (; t <= max; t += n * DAY) if (t >= min) out.push(t)
    return out
  }
  const months = (n: number) => {
    const s = new Date(min)
    const out: number[] = []
    for (let k = Math.floor(s.getUTCMonth() / n) * n; utc(s.getUTCFullYear(), k) <= max; k += n) if (utc(s.getUTCFullYear(), k) >= min) out.push(utc(s.getUTCFullYear(), k))
    return out
  }
  const years = (n: number) => {
    const out: number[] = []
    for (let y = Math.ceil(new Date(min).getUTCFullYear() / n) * n; utc(y, 0) <= max; y += n) if (utc(y, 0) >= min) out.push(utc(y, 0))
    return out
  }
  const dayLabel = (t: number, year: boolean) => {
    const d = new Date(t)
    return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}${year || (d.getUTCMonth() === 0 && d.getUTCDate() <= 14) ? ` ${d.getUTCFullYear()}` : ''}`
  }
  const monthLabel = (n: number) => (t: number, year: boolean) => {
    const d = new Date(t)
    return year || d.getUTCMonth() < n ? `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}` : MONTHS[d.getUTCMonth()]!
  }
  const yearLabel = (t: number) => String(new Date(t).getUTCFullYear())
  const candidates: [times: () => number[], label: (t: number, year: boolean) => string][] = [
    [() => days(1, false), dayLabel],
    [() => days(2, false), dayLabel],
    [() => days(7, true), dayLabel],
    [() => days(14, true), dayLabel],
    ...[1, 2, 3, 6].map((n) => [() => months(n), monthLabel(n)] as [() => number[], (t: number, year: boolean) => string]),
    ...[1, 2, 5, 10, 25, 50].map((n) => [() => years(n), yearLabel] as [() => number[], (t: number) => string]),
  ]
  for (const [times, label] of candidates) {
    const ts = times()
    if (ts.length > 40) continue
    const fits = (t: number, text: string) => x(t) - textWidth(text, 12) / 2 >= PLOT_X0 - 8 && x(t) + textWidth(text, 12) / 2 <= right
    const ticks: Tick[] = []
    for (const t of ts) {
      const labelled = ticks.some((tk) => tk.label !== null)
      const text = label(t, !labelled)
      ticks.push({ t, label: fits(t, text) ? text : null })
    }
    const shown = ticks.filter((tk): tk is Tick & { label: string } => tk.label !== null)
    if (shown.length >= Math.min(2, ts.length) && shown.every((tk, i) => !shown[i + 1] || x(shown[i + 1]!.t) - x(tk.t) >= (textWidth(tk.label, 12) + textWidth(shown[i + 1]!.label, 12)) / 2 + 10)) return ticks
  }
  return []
}

interface Placed {
  entries: TimelineEntry[]
  hidden: TimelineEntry[]
}

/**
 * The timeline picture of the entries given. `total` is how many the viewer may see in all: when the picture holds only
 * the newest of them (the timeline's limit), its description says so.
 */
export function timelineSvg(entries: readonly TimelineEntry[], opts: { title: string; width?: number; total?: number; categoryLabels?: Readonly<Record<string, string>> } = { title: 'Timeline' }): string {
  const width = Math.max(opts.width ?? 1100, PLOT_X0 + RIGHT + 10 * CELL)
  if (!entries.length) {
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} 80" width="${width}" height="80" role="img" aria-labelledby="t" font-family="${esc(FONT)}"><title id="t">${esc(opts.title)}: no entries</title><rect width="${width}" height="80" fill="#ffffff"/><text x="20" y="45" font-size="16" fill="${INK}">No entries you are entitled to see.</text></svg>`
  }
  const columns = Math.floor((width - PLOT_X0 - RIGHT) / CELL)
  const plotX1 = PLOT_X0 + columns * CELL
  const agencies = [...new Set(entries.map((e) => e.agency))].sort((a, b) => a.localeCompare(b))
  const isSignal = (e: TimelineEntry) => e.type === 'signal'
  const keyOf = (e: TimelineEntry) => e.category ?? e.type
  // a category as the partnership names it (as the chronology's table does), in the legend, the markers' and the count
  // boxes' <title>s alike; an entry without one, by its type, as the table names that (entryTypeLabel: "DSL action")
  const categoryName = (k: string) => categoryLabel(k, opts.categoryLabels)
  const nameOf = (e: TimelineEntry) => (e.category ? categoryName(e.category) : entryTypeLabel(e.type))
  const keyNames = new Map<string, string>()
  for (const e of entries) if (!isSignal(e) && !keyNames.has(keyOf(e))) keyNames.set(keyOf(e), nameOf(e))
  const keyName = (k: string) => keyNames.get(k)!

  // category glyphs: the known ones fixed, the rest the next unused pairs; beyond 48 categories, one "other" glyph
  const keys = [...new Set(entries.filter((e) => !isSignal(e)).map(keyOf))].sort((a, b) => keyName(a).localeCompare(keyName(b)))
  const used = new Set(keys.filter((k) => KNOWN.includes(k)).map((k) => KNOWN.indexOf(k)))
  const glyphOf = new Map<string, number>()
  let next = 0
  for (const k of keys) {
    if (KNOWN.includes(k)) glyphOf.set(k, KNOWN.indexOf(k))
    else {
      while (used.has(next)) next++
      if (next < GLYPHS.length - 1) {
        glyphOf.set(k, next)
        used.add(next)
      } else glyphOf.set(k, GLYPHS.length - 1)
    }
  }
  const crowded = keys.filter((k) => glyphOf.get(k) === GLYPHS.length - 1)
  const legendKeys = crowded.length > 1 ? [...keys.filter((k) => !crowded.includes(k)), '\u0000other'] : keys

  // time scale: exact, columns CELL wide; a short span is widened to a week
  const times = entries.map((e) => e.occurred_at.getTime())
  const first = times.reduce((a, b) => Math.min(a, b))
  const last = times.reduce((a, b) => Math.max(a, b))
  let min = first
  let max = last
  if (max - min < 7 * DAY) {
    const mid = (min + max) / 2
    min = mid - 3.5 * DAY
    max = mid + 3.5 * DAY
  }
  const span = (max - min) / columns
  const x = (t: number) => PLOT_X0 + ((t - min) / (max - min)) * (plotX1 - PLOT_X0)
  const column = (t: number) => Math.min(columns - 1, Math.max(0, Math.floor((t - min) / span)))

  // stacks per agency and column, capped at MAX_ROWS with the rest counted
  const priority = (p: TimelineEntry, q: TimelineEntry) => Number(isSignal(q)) - Number(isSignal(p)) || RANK[q.significance] - RANK[p.significance] || p.occurred_at.getTime() - q.occurred_at.getTime() || p.id.localeCompare(q.id)
  const stacks = new Map<string, Map<number, TimelineEntry[]>>(agencies.map((a) => [a, new Map()]))
  for (const e of entries) {
    const lane = stacks.get(e.agency)!
    const c = column(e.occurred_at.getTime())
    const list = lane.get(c) ?? []
    list.push(e)
    lane.set(c, list)
  }
  const placed = new Map<string, Map<number, Placed>>()
  const laneRows = new Map<string, number>()
  for (const a of agencies) {
    const byColumn = new Map<number, Placed>()
    let rows = 1
    for (const [c, list] of stacks.get(a)!) {
      if (list.length <= MAX_ROWS) byColumn.set(c, { entries: [...list].sort((p, q) => p.occurred_at.getTime() - q.occurred_at.getTime() || p.id.localeCompare(q.id)), hidden: [] })
      else {
        const ranked = [...list].sort(priority)
        byColumn.set(c, { entries: ranked.slice(0, MAX_ROWS - 1).sort((p, q) => p.occurred_at.getTime() - q.occurred_at.getTime() || p.id.localeCompare(q.id)), hidden: ranked.slice(MAX_ROWS - 1) })
      }
      rows = Math.max(rows, Math.min(MAX_ROWS, list.length))
    }
    placed.set(a, byColumn)
    laneRows.set(a, rows)
  }

  // agency labels
  const labels = new Map(agencies.map((a) => [a, wrapLabel(a, LABEL_RIGHT - LABEL_X, LABEL_SIZE, true)]))
  const laneHeight = (a: string) => Math.max(LANE_MIN, laneRows.get(a)! * CELL + 2 * LANE_PAD, labels.get(a)!.lines.length * LABEL_LINE + 12)
  const laneTop = new Map<string, number>()
  let y = TOP
  for (const a of agencies) {
    laneTop.set(a, y)
    y += laneHeight(a)
  }
  const plotBottom = y

  // legend layout
  const legendTop = plotBottom + 30
  const legendColumns = Math.max(1, Math.floor((width - 2 * LABEL_X) / 260))
  const legendColumnWidth = Math.floor((width - 2 * LABEL_X) / legendColumns)
  const categoryTop = legendTop + 26
  const keyTop = categoryTop + Math.ceil(legendKeys.length / legendColumns) * 22 + 10
  const height = keyTop + 3 * 22 + 10

  const signals = entries.filter(isSignal).length
  const aggregated = [...placed.values()].flatMap((m) => [...m.values()]).filter((p) => p.hidden.length)
  const parts: string[] = []
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="tl-title tl-desc" font-family="${esc(FONT)}">`)
  parts.push(
    `<title id="tl-title">${esc(opts.title)}</title><desc id="tl-desc">${opts.total !== undefined && opts.total > entries.length ? `The newest ${entries.length} of the ${opts.total} entries you may see: ` : ''}${entries.length} entries from ${agencies.length} ${agencies.length === 1 ? 'agency' : 'agencies'} between ${ymd(first)} and ${ymd(last)}, one row per agency, in ${keys.length} ${keys.length === 1 ? 'category' : 'categories'}${signals ? `, with ${signals} risk ${signals === 1 ? 'signal' : 'signals'}` : ''}.${aggregated.length ? ` Where more than ${MAX_ROWS} entries of one agency fall close together, a box counts the rest.` : ''}${opts.total !== undefined && opts.total > entries.length ? ` The chronology table lists all ${opts.total} as text, page by page.` : ' The chronology table lists these entries as text, page by page.'}</desc>`,
  )
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  parts.push(`<defs><clipPath id="tl-label-clip"><rect x="0" y="${TOP}" width="${LABEL_RIGHT}" height="${plotBottom - TOP}"/></clipPath></defs>`)

  // lanes
  agencies.forEach((a, i) => {
    const top = laneTop.get(a)!
    const h = laneHeight(a)
    const fill = i % 2 ? '#ffffff' : '#f3f2f1'
    parts.push(`<rect x="0" y="${top}" width="${PLOT_X0}" height="${h}" fill="${fill}"/><rect class="tl-lane" data-agency="${esc(a)}" x="${PLOT_X0}" y="${top}" width="${plotX1 - PLOT_X0}" height="${h}" fill="${fill}"/>`)
  })
  parts.push(`<line x1="${PLOT_X0}" y1="${TOP}" x2="${PLOT_X0}" y2="${plotBottom}" stroke="#505a5f" stroke-width="1"/>`)

  // axis: gridlines and labels above the plot
  const ticks = axisTicks(min, max, x, width - 2)
  for (const tk of ticks) {
    const tx = n1(x(tk.t))
    parts.push(`<line x1="${tx}" y1="${TOP - 6}" x2="${tx}" y2="${plotBottom}" stroke="#b1b4b6" stroke-width="1"/>${tk.label === null ? '' : `<text class="tl-tick" x="${tx}" y="${TOP - 12}" font-size="12" fill="${INK}" text-anchor="middle">${esc(tk.label)}</text>`}`)
  }

  // agency names, clipped to the label column
  parts.push(`<g clip-path="url(#tl-label-clip)">`)
  for (const a of agencies) {
    const { lines, truncated } = labels.get(a)!
    const mid = laneTop.get(a)! + laneHeight(a) / 2
    const first = mid - ((lines.length - 1) * LABEL_LINE) / 2 + 4.5
    parts.push(
      `<text class="tl-label" x="${LABEL_X}" y="${n1(first)}" font-size="${LABEL_SIZE}" font-weight="bold" fill="${INK}">${truncated ? `<title>${esc(a)}</title>` : ''}${lines.map((l, k) => `<tspan x="${LABEL_X}" y="${n1(first + k * LABEL_LINE)}">${esc(l)}</tspan>`).join('')}</text>`,
    )
  }
  parts.push('</g>')

  // markers: each entry in its agency's lane, stacked upwards from the lane's foot in its time column
  // the type and category as the chronology's table (and the legend) names them: the type's label, the partnership's
  // label of the category
  const describe = (e: TimelineEntry) => `${ymd(e.occurred_at.getTime())}, ${e.agency}: ${entryTypeLabel(e.type)}${e.category ? ` (${categoryName(e.category)})` : ''}, ${e.significance} significance${isSignal(e) ? ', risk signal' : ''}`
  for (const a of agencies) {
    const foot = laneTop.get(a)! + laneHeight(a) - LANE_PAD
    for (const [c, p] of [...placed.get(a)!].sort(([p], [q]) => p - q)) {
      const cx = PLOT_X0 + (c + 0.5) * CELL
      p.entries.forEach((e, row) => {
        const cy = foot - (row + 0.5) * CELL
        let shape: string
        if (isSignal(e)) shape = `<circle cx="${n1(cx)}" cy="${n1(cy)}" r="8.5" fill="#ffffff" stroke="${SIGNAL}" stroke-width="2"/>${glyph('star', cx, cy, 13, INK, INK, 1)}`
        else {
          const g = GLYPHS[glyphOf.get(keyOf(e))!]!
          shape = glyph(g.shape, cx, cy, SIZE[e.significance], g.colour, INK, e.significance === 'critical' ? 2.5 : 1)
        }
        parts.push(`<g class="tl-m">${shape}<title>${esc(describe(e))}</title></g>`)
      })
      if (p.hidden.length) {
        const cy = foot - (MAX_ROWS - 0.5) * CELL
        const counts = new Map<string, number>()
        // each category (or, without one, type) as the legend names it
        for (const e of p.hidden) {
          const name = isSignal(e) ? 'risk signal' : nameOf(e)
          counts.set(name, (counts.get(name) ?? 0) + 1)
        }
        const from = ymd(Math.min(...p.hidden.map((e) => e.occurred_at.getTime())))
        const to = ymd(Math.max(...p.hidden.map((e) => e.occurred_at.getTime())))
        const what = [...counts].sort(([p1, n1], [p2, n2]) => n2 - n1 || p1.localeCompare(p2)).map(([k, n]) => `${n} ${k}`).join(', ')
        parts.push(
          `<g class="tl-more" data-count="${p.hidden.length}"><rect x="${n1(cx - 9.5)}" y="${n1(cy - 7.5)}" width="19" height="15" rx="3" fill="${INK}"/><text x="${n1(cx)}" y="${n1(cy + 3.5)}" font-size="10" font-weight="bold" fill="#ffffff" text-anchor="middle">${p.hidden.length}</text><title>${p.hidden.length} more ${p.hidden.length === 1 ? 'entry' : 'entries'} from ${esc(a)}, ${from === to ? from : `${from} to ${to}`}: ${esc(what)}</title></g>`,
        )
      }
    }
  }

  // legend: every category in use, then significance, signals and counts
  parts.push(`<text x="${LABEL_X}" y="${legendTop}" font-size="14" font-weight="bold" fill="${INK}">Category (colour and shape)</text>`)
  legendKeys.forEach((k, i) => {
    const lx = LABEL_X + (i % legendColumns) * legendColumnWidth
    const ly = categoryTop + Math.floor(i / legendColumns) * 22
    const other = k === '\u0000other'
    const g = GLYPHS[other ? GLYPHS.length - 1 : glyphOf.get(k)!]!
    const name = other ? `Other categories (${crowded.length})` : keyName(k)
    const shown = fit(name, legendColumnWidth - 32, 13, false)
    parts.push(`<g class="tl-legend" data-category="${esc(other ? '' : k)}" data-colour="${g.colour}" data-shape="${g.shape}">${glyph(g.shape, lx + 7, ly - 4, 12, g.colour, INK, 1)}<text x="${lx + 20}" y="${ly}" font-size="13" fill="${INK}">${shown !== name ? `<title>${esc(name)}</title>` : ''}${esc(shown)}</text></g>`)
  })
  const legendRow = (y: number, heading: string, items: { mark: (x: number) => string; width: number; text: string }[]) => {
    let kx = LABEL_X
    if (heading) {
      parts.push(`<text x="${kx}" y="${y}" font-size="13" font-weight="bold" fill="${INK}">${esc(heading)}</text>`)
      kx += textWidth(heading, 13, true) + 12
    }
    for (const it of items) {
      parts.push(`${it.mark(kx)}<text x="${kx + it.width + 6}" y="${y}" font-size="13" fill="${INK}">${esc(it.text)}</text>`)
      kx += it.width + 6 + textWidth(it.text, 13) + 22
    }
  }
  legendRow(
    keyTop,
    'Significance (size)',
    (['low', 'medium', 'high', 'critical'] as const).map((s) => ({ mark: (kx: number) => glyph('circle', kx + 7, keyTop - 4, SIZE[s], '#b1b4b6', INK, s === 'critical' ? 2.5 : 1), width: 14, text: s === 'critical' ? 'critical (heavy outline)' : s })),
  )
  const row2 = keyTop + 26
  legendRow(row2, '', [
    { mark: (kx) => `<circle cx="${kx + 9}" cy="${row2 - 4}" r="8.5" fill="#ffffff" stroke="${SIGNAL}" stroke-width="2"/>${glyph('star', kx + 9, row2 - 4, 13, INK, INK, 1)}`, width: 18, text: 'Risk signal (strands combining)' },
    { mark: (kx) => `<rect x="${kx}" y="${row2 - 11.5}" width="19" height="15" rx="3" fill="${INK}"/><text x="${kx + 9.5}" y="${row2}" font-size="10" font-weight="bold" fill="#ffffff" text-anchor="middle">12</text>`, width: 19, text: `More entries close together than fit (${MAX_ROWS} to a stack): the box counts them` },
  ])
  parts.push('</svg>')
  return parts.join('')
}
