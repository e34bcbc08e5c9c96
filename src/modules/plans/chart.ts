// The progress picture of a joint plan: a server-rendered SVG (no script) with, for each outcome, a line of its
// scores (0–10) over the reviews, and for each review a stacked bar of the plan's actions done, overdue and open.
// Outcomes are told apart without colour alone: each has its own marker shape and dash pattern, and a direct
// number label at the end of its line keyed to the legend; bars use fills with different patterns and their
// numbers written on them. The page always follows it with a table of the same numbers (its text alternative).

export interface ProgressReview {
  id: string
  heldOn: string
}

export interface ProgressOutcome {
  id: string
  label: string
  /** One score per review, in review order; null when the outcome was not scored at that review. */
  scores: (number | null)[]
}

export interface ProgressActions {
  done: number
  overdue: number
  open: number
}

export interface ProgressData {
  title: string
  reviews: ProgressReview[]
  outcomes: ProgressOutcome[]
  /** One per review, in review order. */
  actions: ProgressActions[]
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
const PALETTE = ['#1d70b8', '#d4351c', '#00703c', '#4c2c92', '#b58840', '#28a197', '#d53880', '#505a5f']
const DASHES = ['', '8 4', '2 4', '12 4 2 4', '6 6', '1 3', '10 2', '4 2 1 2']
const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'cross', 'triangle-down'] as const
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

export function shortDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number)
  return `${d} ${MONTHS[(m ?? 1) - 1]} ${y}`
}

function marker(shape: (typeof SHAPES)[number], x: number, y: number, colour: string, title: string): string {
  const t = `<title>${esc(title)}</title>`
  const r = 6
  const common = `fill="${colour}" stroke="#0b0c0c" stroke-width="1.5"`
  switch (shape) {
    case 'circle':
      return `<circle cx="${x}" cy="${y}" r="${r}" ${common}>${t}</circle>`
    case 'square':
      return `<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" ${common}>${t}</rect>`
    case 'triangle':
      return `<path d="M${x} ${y - r - 1} L${x + r + 1} ${y + r} L${x - r - 1} ${y + r} Z" ${common}>${t}</path>`
    case 'triangle-down':
      return `<path d="M${x} ${y + r + 1} L${x + r + 1} ${y - r} L${x - r - 1} ${y - r} Z" ${common}>${t}</path>`
    case 'diamond':
      return `<path d="M${x} ${y - r - 2} L${x + r + 2} ${y} L${x} ${y + r + 2} L${x - r - 2} ${y} Z" ${common}>${t}</path>`
    default:
      return `<path d="M${x - r} ${y - r} L${x + r} ${y + r} M${x + r} ${y - r} L${x - r} ${y + r}" stroke="${colour}" stroke-width="4" fill="none">${t}</path>`
  }
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/** The progress chart as an SVG document (standalone or inline). `idPrefix` keeps ids unique on a page. */
export function progressSvg(data: ProgressData, opts: { width?: number; idPrefix?: string } = {}): string {
  const width = opts.width ?? 900
  const id = opts.idPrefix ?? 'progress'
  const left = 70
  const right = 70
  const top = 56
  const lineH = 260
  const gap = 70
  const barH = 150
  const legendTop = top + lineH + gap + barH + 80
  const legendH = data.outcomes.length * 24 + 40
  const height = legendTop + legendH
  const n = data.reviews.length
  const parts: string[] = []
  const desc = n
    ? `Scores out of 10 for ${data.outcomes.length} ${data.outcomes.length === 1 ? 'outcome' : 'outcomes'} at ${n} ${n === 1 ? 'review' : 'reviews'} from ${shortDate(data.reviews[0]!.heldOn)} to ${shortDate(data.reviews[n - 1]!.heldOn)}, and the actions done, overdue and open at each review. ` +
      data.outcomes.map((o, i) => `Outcome ${i + 1}, ${o.label}: ${o.scores.map((s, j) => `${shortDate(data.reviews[j]!.heldOn)} ${s === null ? 'not scored' : s}`).join(', ')}.`).join(' ') +
      ' The table after the chart has the same numbers.'
    : 'No reviews have been recorded yet.'
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${n ? height : 90}" width="${width}" height="${n ? height : 90}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui, Arial, sans-serif" class="ta-progress-chart">`)
  parts.push(`<title id="${id}-title">${esc(data.title)}</title><desc id="${id}-desc">${esc(desc)}</desc>`)
  parts.push(`<rect width="${width}" height="${n ? height : 90}" fill="#ffffff"/>`)
  if (!n) {
    parts.push(`<text x="20" y="50" font-size="16" fill="#0b0c0c">No reviews yet: the chart starts at the first review.</text></svg>`)
    return parts.join('')
  }
  const plotW = width - left - right
  const x = (i: number) => Math.round(left + (n === 1 ? plotW / 2 : (i / (n - 1)) * plotW))
  const y = (score: number) => Math.round(top + lineH - (score / 10) * lineH)

  // ---- scores panel ----
  parts.push(`<text x="${left - 60}" y="${top - 30}" font-size="16" font-weight="bold" fill="#0b0c0c">Scores at each review (0 to 10)</text>`)
  for (let s = 0; s <= 10; s += 2) {
    parts.push(`<line x1="${left}" y1="${y(s)}" x2="${width - right}" y2="${y(s)}" stroke="#b1b4b6" stroke-width="1"/>`)
    parts.push(`<text x="${left - 10}" y="${y(s) + 5}" font-size="13" text-anchor="end" fill="#0b0c0c">${s}</text>`)
  }
  data.reviews.forEach((r, i) => {
    parts.push(`<text x="${x(i)}" y="${top + lineH + 22}" font-size="13" text-anchor="middle" fill="#0b0c0c">${esc(shortDate(r.heldOn))}</text>`)
  })
  data.outcomes.forEach((o, k) => {
    const colour = PALETTE[k % PALETTE.length]!
    const dash = DASHES[k % DASHES.length]!
    const shape = SHAPES[k % SHAPES.length]!
    const pts = o.scores.map((s, i) => (s === null ? null : { x: x(i), y: y(s), s, i }))
    // the line is broken where an outcome was not scored
    let run: string[] = []
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${colour}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`)
      run = []
    }
    for (const p of pts) {
      if (p) run.push(`${p.x},${p.y}`)
      else flush()
    }
    flush()
    parts.push(`<g class="ta-progress-outcome" data-outcome="${k + 1}">`)
    for (const p of pts) {
      if (!p) continue
      parts.push(marker(shape, p.x, p.y, colour, `Outcome ${k + 1} (${o.label}): ${p.s} out of 10 at the review on ${shortDate(data.reviews[p.i]!.heldOn)}`))
    }
    parts.push('</g>')
    const last = [...pts].reverse().find((p) => p)
    if (last) parts.push(`<text x="${last.x + 12}" y="${last.y + 5 + (k % 2 ? 10 : -4)}" font-size="14" font-weight="bold" fill="#0b0c0c">${k + 1}: ${last.s}</text>`)
  })

  // ---- actions panel: a stacked bar per review ----
  const barTop = top + lineH + gap
  parts.push(`<defs><pattern id="${id}-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f6d7d2"/><line x1="0" y1="0" x2="0" y2="8" stroke="#d4351c" stroke-width="4"/></pattern></defs>`)
  parts.push(`<text x="${left - 60}" y="${barTop - 14}" font-size="16" font-weight="bold" fill="#0b0c0c">Actions at each review: done, overdue, open</text>`)
  const maxTotal = Math.max(1, ...data.actions.map((a) => a.done + a.overdue + a.open))
  const barW = Math.min(60, Math.max(24, plotW / n / 2))
  const unit = barH / maxTotal
  const fills = { done: '#00703c', overdue: `url(#${id}-hatch)`, open: '#ffffff' } as const
  const textFill = { done: '#ffffff', overdue: '#0b0c0c', open: '#0b0c0c' } as const
  const names = { done: 'done', overdue: 'overdue', open: 'open' } as const
  data.actions.forEach((a, i) => {
    let base = barTop + barH
    const cx = x(i)
    for (const k of ['done', 'overdue', 'open'] as const) {
      const v = a[k]
      if (!v) continue
      const h = v * unit
      base -= h
      parts.push(`<rect x="${cx - barW / 2}" y="${base.toFixed(1)}" width="${barW}" height="${h.toFixed(1)}" fill="${fills[k]}" stroke="#0b0c0c" stroke-width="1.5"><title>${esc(`${shortDate(data.reviews[i]!.heldOn)}: ${v} ${names[k]}`)}</title></rect>`)
      if (h >= 15) parts.push(`<text x="${cx}" y="${(base + h / 2 + 5).toFixed(1)}" font-size="13" font-weight="bold" text-anchor="middle" fill="${textFill[k]}"${k === 'overdue' ? ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' : ''}>${v}</text>`)
    }
    const anchor = n > 1 && i === n - 1 ? 'end' : n > 1 && i === 0 ? 'start' : 'middle'
    const ax = anchor === 'end' ? cx + barW / 2 : anchor === 'start' ? cx - barW / 2 : cx
    parts.push(`<text x="${ax}" y="${barTop + barH + 20}" font-size="13" text-anchor="${anchor}" fill="#0b0c0c">${esc(shortDate(data.reviews[i]!.heldOn))}</text>`)
    parts.push(`<text x="${ax}" y="${barTop + barH + 38}" font-size="12" text-anchor="${anchor}" fill="#0b0c0c">${a.done} done, ${a.overdue} overdue, ${a.open} open</text>`)
  })
  parts.push(`<line x1="${left}" y1="${barTop + barH}" x2="${width - right}" y2="${barTop + barH}" stroke="#0b0c0c" stroke-width="1"/>`)

  // ---- legend: outcomes (marker + dash + number) and the bar fills ----
  parts.push(`<text x="${left - 60}" y="${legendTop - 18}" font-size="15" font-weight="bold" fill="#0b0c0c">Key</text>`)
  data.outcomes.forEach((o, k) => {
    const ly = legendTop + k * 24
    const colour = PALETTE[k % PALETTE.length]!
    const dash = DASHES[k % DASHES.length]!
    parts.push(`<line x1="${left - 60}" y1="${ly}" x2="${left - 10}" y2="${ly}" stroke="${colour}" stroke-width="3"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`)
    parts.push(marker(SHAPES[k % SHAPES.length]!, left - 35, ly, colour, `Outcome ${k + 1}`))
    parts.push(`<text x="${left + 4}" y="${ly + 5}" font-size="14" fill="#0b0c0c">${k + 1}: ${esc(truncate(o.label, 95))}</text>`)
  })
  const ky = legendTop + data.outcomes.length * 24 + 14
  let kx = left - 60
  for (const k of ['done', 'overdue', 'open'] as const) {
    parts.push(`<rect x="${kx}" y="${ky - 12}" width="22" height="16" fill="${fills[k]}" stroke="#0b0c0c" stroke-width="1.5"/><text x="${kx + 30}" y="${ky + 1}" font-size="14" fill="#0b0c0c">Actions ${names[k]}${k === 'done' ? ' (solid)' : k === 'overdue' ? ' (striped)' : ' (white)'}</text>`)
    kx += 210
  }
  parts.push('</svg>')
  return parts.join('')
}
