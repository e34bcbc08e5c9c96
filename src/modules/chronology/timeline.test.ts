// The timeline picture is legible at 500 entries: the SVG is parsed back (markers, count boxes, lanes, labels,
// ticks, legend) and its geometry checked — no two markers overlap, every marker sits in its agency's lane
// inside the plot, a busy stretch is counted rather than piled up, agency names stay in their column, axis
// labels do not collide, and every category in use has its own colour and shape in the legend.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { textWidth, timelineSvg, wrapLabel, type TimelineEntry } from './timeline.ts'
import { londonDateTime } from '../../web/dates.ts'
import { entryTypeLabel } from '../../platform/http/render.ts'

const DAY = 86_400_000
const LABEL_COLUMN = 192 // agency names end before this x
const AGENCIES = [
  'Brookside Academy Multi-Academy Trust Safeguarding Team',
  'Metropolitan Police Service Child Abuse Investigation Command',
  'Northshire Integrated Care Board (Community Paediatrics)',
  'Children’s Social Care',
  'Police',
  'Supercalifragilisticexpialidociousagencywithoutspaces',
]
const CATEGORIES = ['physical_abuse', 'emotional_abuse', 'sexual_abuse', 'neglect', 'domestic_abuse', 'child_sexual_exploitation', 'child_criminal_exploitation', 'missing', 'radicalisation', 'fgm', 'self_harm', 'mental_health', 'attendance', 'online_safety', 'child_on_child', 'other', 'gang_association', null]
const TYPES = ['concern', 'home_visit', 'health_attendance', 'incident']
const SIGNIFICANCE = ['low', 'medium', 'high', 'critical'] as const

function random(seed: number) {
  let s = seed
  return () => (s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648
}

/** 500 entries: over four years, or in three weeks with half of them on three days. */
function entries(kind: 'years' | 'weeks', n = 500, seed = 7): TimelineEntry[] {
  const r = random(seed)
  const start = kind === 'years' ? Date.UTC(2021, 2, 5) : Date.UTC(2025, 5, 2)
  return Array.from({ length: n }, (_, i) => {
    const day = kind === 'years' ? r() * 4 * 365 : r() < 0.5 ? [3, 4, 10][Math.floor(r() * 3)]! + r() * 0.5 : r() * 21
    const signal = i % 37 === 0
    return {
      id: `e${i}`,
      occurred_at: new Date(start + day * DAY),
      agency: AGENCIES[Math.floor(r() * r() * AGENCIES.length)]!,
      type: signal ? 'signal' : TYPES[Math.floor(r() * TYPES.length)]!,
      category: signal ? null : CATEGORIES[Math.floor(r() * CATEGORIES.length)]!,
      significance: signal ? 'critical' : SIGNIFICANCE[Math.floor(r() * 4)]!,
    }
  })
}

const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
const attr = (el: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(el)
  return m ? m[1]! : undefined
}
const num = (el: string, name: string) => Number(attr(el, name))

interface Box {
  x0: number
  y0: number
  x1: number
  y1: number
}

/** The box a fragment's circles, paths and rects cover, strokes included. */
function boxOf(fragment: string): Box {
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity }
  const add = (x: number, y: number, pad: number) => {
    box.x0 = Math.min(box.x0, x - pad)
    box.x1 = Math.max(box.x1, x + pad)
    box.y0 = Math.min(box.y0, y - pad)
    box.y1 = Math.max(box.y1, y + pad)
  }
  for (const [el] of fragment.matchAll(/<(circle|path|rect)\b[^>]*>/g)) {
    const stroke = attr(el, 'stroke') && attr(el, 'stroke') !== 'none' ? (Number(attr(el, 'stroke-width') ?? 1) || 0) / 2 : 0
    if (el.startsWith('<circle')) add(num(el, 'cx'), num(el, 'cy'), num(el, 'r') + stroke)
    else if (el.startsWith('<rect')) {
      add(num(el, 'x'), num(el, 'y'), stroke)
      add(num(el, 'x') + num(el, 'width'), num(el, 'y') + num(el, 'height'), stroke)
    } else {
      const d = attr(el, 'd')!
      assert.match(d, /^M[-\d. L]+Z$/, 'marker paths use absolute M/L commands only')
      for (const [, x, y] of d.matchAll(/(-?[\d.]+) (-?[\d.]+)/g)) add(Number(x), Number(y), stroke)
    }
  }
  assert.ok(Number.isFinite(box.x0), `no shape in ${fragment.slice(0, 80)}`)
  return box
}

const overlaps = (a: Box, b: Box) => Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0) > 0.01 && Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0) > 0.01
const inside = (a: Box, b: Box) => a.x0 >= b.x0 - 0.01 && a.x1 <= b.x1 + 0.01 && a.y0 >= b.y0 - 0.01 && a.y1 <= b.y1 + 0.01

/** A shape's kind read from its geometry, not from anything the renderer says about it. */
function shapeOf(fragment: string): string {
  const el = /<(circle|path)\b[^>]*>/.exec(fragment)![0]
  if (el.startsWith('<circle')) return 'circle'
  const pts = [...attr(el, 'd')!.matchAll(/(-?[\d.]+) (-?[\d.]+)/g)].map(([, x, y]) => [Number(x), Number(y)] as const)
  if (pts.length === 3) {
    const ys = pts.map(([, y]) => y)
    const apex = ys.find((y) => ys.filter((z) => z === y).length === 1)!
    return apex < Math.max(...ys) ? 'triangle-up' : 'triangle-down'
  }
  if (pts.length === 4) return pts[0]![1] === pts[1]![1] ? 'square' : 'diamond'
  return `${pts.length}-gon`
}

function parse(svg: string) {
  const lanes = [...svg.matchAll(/<rect class="tl-lane"[^>]*>/g)].map(([el]) => ({ agency: unescape(attr(el, 'data-agency')!), box: { x0: num(el, 'x'), y0: num(el, 'y'), x1: num(el, 'x') + num(el, 'width'), y1: num(el, 'y') + num(el, 'height') } }))
  const markers = [...svg.matchAll(/<g class="tl-m">(.*?)<title>(.*?)<\/title><\/g>/g)].map(([, shapes, title]) => ({ shapes: shapes!, title: unescape(title!), box: boxOf(shapes!) }))
  const more = [...svg.matchAll(/<g class="tl-more" data-count="(\d+)">(.*?)<text[^>]*>(\d+)<\/text><title>(.*?)<\/title><\/g>/g)].map(([, count, shapes, shown, title]) => ({ count: Number(count), shown: Number(shown), title: unescape(title!), box: boxOf(shapes!) }))
  const labels = [...svg.matchAll(/<text class="tl-label"[^>]*>(.*?)<\/text>/g)].map(([, inner]) => ({ title: /<title>(.*?)<\/title>/.exec(inner!)?.[1], lines: [...inner!.matchAll(/<tspan x="([\d.]+)"[^>]*>(.*?)<\/tspan>/g)].map(([, x, text]) => ({ x: Number(x), text: unescape(text!) })) }))
  const ticks = [...svg.matchAll(/<text class="tl-tick"[^>]*>(.*?)<\/text>/g)].map(([el, text]) => ({ x: num(el, 'x'), text: unescape(text!) }))
  const legend = [...svg.matchAll(/<g class="tl-legend" data-category="([^"]*)"[^>]*>(.*?)<text[^>]*>(?:<title>(.*?)<\/title>)?(.*?)<\/text><\/g>/g)].map(([, category, shapes, full, shown]) => ({ category: unescape(category!), name: unescape(full ?? shown!), fill: attr(/<(circle|path)\b[^>]*>/.exec(shapes!)![0], 'fill')!, shape: shapeOf(shapes!) }))
  const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1])
  return { lanes, markers, more, labels, ticks, legend, width }
}

const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((p, q) => q - p)
  return (hi! + 0.05) / (lo! + 0.05)
}

function assertLegible(list: TimelineEntry[], categoryLabels?: Record<string, string>) {
  const svg = timelineSvg(list, { title: 'Timeline for Test Child', categoryLabels })
  const p = parse(svg)
  assert.ok(svg.length < 300_000, `${svg.length} bytes`)
  assert.match(svg, /^<svg [^>]*role="img" aria-labelledby="tl-title tl-desc"/)
  assert.match(svg, /<title id="tl-title">Timeline for Test Child<\/title><desc id="tl-desc">500 entries from \d agenc(y|ies)/)

  // every entry is a marker or counted by a box that says how many
  assert.equal(p.markers.length + p.more.reduce((n, m) => n + m.count, 0), list.length)
  for (const m of p.more) {
    assert.equal(m.shown, m.count, 'the box shows its count')
    assert.match(m.title, new RegExp(`^${m.count} more entr(y|ies) from `))
  }

  // nothing overlaps anything else
  const boxes = [...p.markers.map((m) => ({ what: m.title, box: m.box })), ...p.more.map((m) => ({ what: m.title, box: m.box }))]
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) assert.ok(!overlaps(boxes[i]!.box, boxes[j]!.box), `overlap: ${boxes[i]!.what} / ${boxes[j]!.what}`)

  // each marker (and box) in its own agency's lane, inside the plot; lanes stacked without overlapping
  assert.deepEqual(p.lanes.map((l) => l.agency).sort(), [...new Set(list.map((e) => e.agency))].sort())
  for (let i = 1; i < p.lanes.length; i++) assert.ok(p.lanes[i]!.box.y0 >= p.lanes[i - 1]!.box.y1 - 0.01)
  for (const l of p.lanes) assert.ok(l.box.x0 > LABEL_COLUMN && l.box.x1 <= p.width)
  for (const m of p.markers) {
    const lane = p.lanes.find((l) => m.title.includes(`, ${l.agency}: `))!
    assert.ok(lane, m.title)
    assert.ok(inside(m.box, lane.box), `${m.title} ${JSON.stringify(m.box)} outside ${JSON.stringify(lane.box)}`)
  }
  for (const m of p.more) {
    const lane = p.lanes.find((l) => m.title.includes(` from ${l.agency}, `))!
    assert.ok(lane && inside(m.box, lane.box), m.title)
  }

  // agency names: at most two lines, each within the label column; the full name in a <title> when cut
  assert.equal(p.labels.length, p.lanes.length)
  for (const [i, l] of p.labels.entries()) {
    const agency = p.lanes[i]!.agency
    assert.ok(l.lines.length >= 1 && l.lines.length <= 2, agency)
    for (const line of l.lines) assert.ok(line.x + textWidth(line.text, 13, true) <= LABEL_COLUMN, `${line.text} is too wide`)
    const shown = l.lines.map((x) => x.text).join(' ')
    if (l.title !== undefined) {
      assert.equal(unescape(l.title), agency)
      assert.match(shown, /…$/)
    } else assert.equal(shown.replace(/\s/g, ''), agency.replace(/\s/g, ''))
  }
  assert.match(svg, /<g clip-path="url\(#tl-label-clip\)"><text class="tl-label"/)

  // axis labels: several, inside the picture, none colliding
  assert.ok(p.ticks.length >= 4, p.ticks.map((t) => t.text).join(', '))
  for (const [i, t] of p.ticks.entries()) {
    const w = textWidth(t.text, 12)
    assert.ok(t.x - w / 2 >= LABEL_COLUMN && t.x + w / 2 <= p.width, t.text)
    const next = p.ticks[i + 1]
    if (next) assert.ok(t.x + w / 2 < next.x - textWidth(next.text, 12) / 2, `${t.text} collides with ${next.text}`)
  }

  // legend: each category in use once, each with its own colour and shape, and the markers drawn with them
  const inUse = [...new Set(list.filter((e) => e.type !== 'signal').map((e) => e.category ?? e.type))].sort()
  assert.deepEqual(p.legend.map((l) => l.category).sort(), inUse)
  const pairs = p.legend.map((l) => `${l.fill} ${l.shape}`)
  assert.equal(new Set(pairs).size, pairs.length, `repeated glyphs: ${pairs.join(', ')}`)
  const byName = new Map(p.legend.map((l) => [l.name, l]))
  assert.equal(byName.size, p.legend.length, 'each legend item its own name')
  const named = new Map(list.map((e) => [e.id, e]))
  for (const m of p.markers) {
    const e = [...named.values()].find((x) => m.title.startsWith(`${londonDateTime(x.occurred_at).date}, ${x.agency}: `) && m.title.includes(entryTypeLabel(x.type)))
    assert.ok(e, m.title)
    if (m.title.endsWith('risk signal')) {
      assert.match(m.shapes, /stroke="#d4351c"/, 'a signal is ringed')
      continue
    }
    // a category is named in the title as in the legend (a label may hold brackets); an entry without one, by its type,
    // named there as in the legend
    const category = /: [^(]*? \((.*)\), \w+ significance$/.exec(m.title)?.[1]
    const g = byName.get(category ?? /: ([^,(]+), \w+ significance$/.exec(m.title)![1]!)!
    assert.ok(g, `${category ?? m.title} in the legend`)
    assert.equal(attr(/<(circle|path)\b[^>]*>/.exec(m.shapes)![0], 'fill'), g.fill, m.title)
    assert.equal(shapeOf(m.shapes), g.shape, m.title)
  }

  // text contrast (WCAG AA): every text's fill on the light backgrounds, the count boxes' white on ink
  const fills = new Set([...svg.matchAll(/<text [^>]*fill="(#[0-9a-f]{6})"/g)].map(([, f]) => f!))
  for (const f of fills) {
    if (f === '#ffffff') assert.match(svg, /<rect [^>]*fill="#0b0c0c"\/><text [^>]*fill="#ffffff"/)
    else for (const bg of ['#ffffff', '#f3f2f1']) assert.ok(contrast(f, bg) >= 4.5, `${f} on ${bg}`)
  }
  assert.ok(contrast('#ffffff', '#0b0c0c') >= 4.5)
  return p
}

describe('timeline picture at 500 entries', () => {
  it('spread over four years: (almost) every entry its own marker, none overlapping, each in its lane, ticks by month or year', () => {
    const p = assertLegible(entries('years'))
    assert.ok(p.markers.length >= 475, `${p.markers.length} markers`)
    assert.ok(p.ticks.some((t) => /^(Jan )?2022$|^Jan 2022$/.test(t.text)), p.ticks.map((t) => t.text).join(', '))
  })

  it('clustered in three weeks: stacks grow their lanes, the busiest are counted with a box, ticks by day', () => {
    const list = entries('weeks')
    // some categories with the partnership's own names (brackets and all), the rest humanised
    const p = assertLegible(list, { fgm: 'Female genital mutilation (FGM)', child_on_child: 'Child-on-child abuse (peer on peer)', neglect: 'Neglect (long-standing)' })
    assert.ok(p.more.length > 0, 'some columns overflow')
    assert.ok(p.ticks.every((t) => /^\d{1,2} [A-Z][a-z]{2}( \d{4})?$/.test(t.text)), p.ticks.map((t) => t.text).join(', '))
    // every risk signal stays visible, even in the busiest stack
    assert.equal(p.markers.filter((m) => m.title.endsWith('risk signal')).length, list.filter((e) => e.type === 'signal').length)
  })

  it('all on one day in one agency: a capped stack and one box for the rest', () => {
    const list = entries('weeks').map((e) => ({ ...e, agency: 'Police', occurred_at: new Date(Date.UTC(2025, 5, 5, 10)) }))
    const p = assertLegible(list)
    assert.equal(p.more.length, 1)
    assert.ok(p.markers.length <= 8)
  })

  it('spread over one year with short names, as in the chronology test: a marker (and <title>) per entry', () => {
    const list = Array.from({ length: 500 }, (_, i) => ({ id: String(i), occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000 * 17), agency: ['School', 'Police', 'Health', 'Social care'][i % 4]!, type: 'incident', category: ['neglect', 'missing', 'domestic_abuse'][i % 3]!, significance: SIGNIFICANCE[i % 4]! }))
    const svg = timelineSvg(list, { title: 'Big' })
    assert.equal((svg.match(/<title>/g) ?? []).length, 500)
    assert.equal(parse(svg).more.length, 0)
  })

  it('fifty categories still get a legend item each, none repeating a colour and shape', () => {
    const svg = timelineSvg(
      Array.from({ length: 50 }, (_, i) => ({ id: String(i), occurred_at: new Date(Date.UTC(2025, 0, 1) + i * DAY), agency: 'School', type: 'concern', category: `category_${i}`, significance: 'medium' as const })),
      { title: 'Many' },
    )
    const legend = parse(svg).legend
    assert.ok(legend.length >= 47)
    assert.equal(new Set(legend.map((l) => `${l.fill} ${l.shape}`)).size, legend.length)
  })
})

describe('a picture of only the newest entries', () => {
  it('says in its description how many of the entries the viewer may see it holds', () => {
    const some = entries('years', 40)
    const desc = (svg: string) => /<desc id="tl-desc">([^<]*)<\/desc>/.exec(svg)![1]!
    assert.match(desc(timelineSvg(some, { title: 'T', total: 6000 })), /^The newest 40 of the 6000 entries you may see: 40 entries from/)
    assert.match(desc(timelineSvg(some, { title: 'T', total: 40 })), /^40 entries from/)
    assert.match(desc(timelineSvg(some, { title: 'T' })), /^40 entries from/)
  })
})

describe('dates in the picture', () => {
  it('are London’s, as in the chronology table: an entry just after midnight in summer time is on its own day', () => {
    const svg = timelineSvg([
      { id: 'a', occurred_at: new Date('2026-07-31T23:30:00Z'), agency: 'Police', type: 'incident', category: 'neglect', significance: 'high' }, // 00:30 BST, 1 August
      { id: 'b', occurred_at: new Date('2026-08-10T10:00:00Z'), agency: 'Police', type: 'incident', category: 'neglect', significance: 'low' },
    ], { title: 'T' })
    assert.match(svg, /<title>2026-08-01, Police: Incident \(Neglect\), high significance<\/title>/)
    assert.match(/<desc id="tl-desc">([^<]*)<\/desc>/.exec(svg)![1]!, /between 2026-08-01 and 2026-08-10/)
  })
})

describe('agency names', () => {
  it('wrap at spaces and hyphens onto two lines, then end with an ellipsis', () => {
    assert.deepEqual(wrapLabel('Police', 184, 13, true), { lines: ['Police'], truncated: false })
    const two = wrapLabel('Northshire Integrated Care Board', 184, 13, true)
    assert.equal(two.lines.length, 2)
    assert.equal(two.truncated, false)
    assert.equal(two.lines.join(' '), 'Northshire Integrated Care Board')
    const cut = wrapLabel(AGENCIES[1]!, 184, 13, true)
    assert.equal(cut.truncated, true)
    assert.match(cut.lines[1]!, /…$/)
    for (const l of [...cut.lines, ...wrapLabel(AGENCIES[5]!, 184, 13, true).lines]) assert.ok(textWidth(l, 13, true) <= 184, l)
  })
})

describe('categories in the picture', () => {
  const labels = { fgm: 'Female genital mutilation (FGM)', child_on_child: 'Child-on-child abuse', neglect: 'Neglect (long-standing)' }
  const at = (minutes: number) => new Date(Date.UTC(2025, 5, 5, 10, minutes))
  // one busy morning at the police (seven neglect entries shown, five more counted by a box), and a week later one
  // entry of each other category, one of them under a code the partnership does not have
  const list: TimelineEntry[] = [
    ...Array.from({ length: 12 }, (_, i) => ({ id: `b${String(i).padStart(2, '0')}`, occurred_at: at(i), agency: 'Police', type: 'incident', category: i < 7 ? 'neglect' : i < 10 ? 'fgm' : 'child_on_child', significance: 'low' as const })),
    { id: 'f', occurred_at: new Date(Date.UTC(2025, 5, 12, 10)), agency: 'School', type: 'concern', category: 'fgm', significance: 'high' },
    { id: 'c', occurred_at: new Date(Date.UTC(2025, 5, 13, 10)), agency: 'School', type: 'concern', category: 'child_on_child', significance: 'medium' },
    { id: 'x', occurred_at: new Date(Date.UTC(2025, 5, 14, 10)), agency: 'School', type: 'concern', category: 'agency_code', significance: 'medium' },
  ]

  it('are named as the partnership names them in every hover text (markers and count boxes), as in the legend', () => {
    const svg = timelineSvg(list, { title: 'T', categoryLabels: labels })
    const p = parse(svg)
    const titles = [...p.markers.map((m) => m.title), ...p.more.map((m) => m.title)]
    assert.ok(titles.includes('2025-06-12, School: Concern (Female genital mutilation (FGM)), high significance'), titles.join('\n'))
    assert.ok(titles.includes('2025-06-13, School: Concern (Child-on-child abuse), medium significance'), titles.join('\n'))
    assert.ok(titles.includes('2025-06-05, Police: Incident (Neglect (long-standing)), low significance'), titles.join('\n'))
    assert.deepEqual(p.more.map((m) => m.title), ['5 more entries from Police, 2025-06-05: 3 Female genital mutilation (FGM), 2 Child-on-child abuse'])
    // a code the partnership does not have is humanised, as on the page
    assert.ok(titles.includes('2025-06-14, School: Concern (Agency code), medium significance'), titles.join('\n'))
    // past the partnership's names, the codes' own words appear nowhere a person reads
    const text = [...svg.matchAll(/<(title|text|tspan)\b[^>]*>([^<]*)</g)].map(([, , t]) => unescape(t!)).join('\n')
    assert.doesNotMatch([...Object.values(labels), 'Agency code'].reduce((rest, label) => rest.replaceAll(label, ''), text), /fgm|child.on.child|neglect|agency.code/i)
    assert.deepEqual(p.legend.map((l) => l.name).sort(), ['Agency code', 'Child-on-child abuse', 'Female genital mutilation (FGM)', 'Neglect (long-standing)'])
  })
})

describe('types of entry in the picture', () => {
  const at = (minutes: number) => new Date(Date.UTC(2025, 5, 5, 10, minutes))
  // a busy morning at the school (seven shown, three more counted by a box), and a week later one of each: a DSL's
  // action and a home visit without a category, a DSL's action under one
  const list: TimelineEntry[] = [
    ...Array.from({ length: 10 }, (_, i) => ({ id: `b${i}`, occurred_at: at(i), agency: 'School', type: i % 2 ? 'dsl_action' : 'home_visit', category: null, significance: 'low' as const })),
    { id: 'd', occurred_at: new Date(Date.UTC(2025, 5, 12, 10)), agency: 'School', type: 'dsl_action', category: null, significance: 'high' },
    { id: 'h', occurred_at: new Date(Date.UTC(2025, 5, 13, 10)), agency: 'Health', type: 'home_visit', category: null, significance: 'medium' },
    { id: 'n', occurred_at: new Date(Date.UTC(2025, 5, 14, 10)), agency: 'School', type: 'dsl_action', category: 'neglect', significance: 'medium' },
  ]

  it('are named as the chronology page names them (“DSL action”, “Home visit”) in the hover texts, the legend and the count boxes', () => {
    const svg = timelineSvg(list, { title: 'T', categoryLabels: { neglect: 'Neglect' } })
    const p = parse(svg)
    const titles = p.markers.map((m) => m.title)
    assert.ok(titles.includes('2025-06-12, School: DSL action, high significance'), titles.join('\n'))
    assert.ok(titles.includes('2025-06-13, Health: Home visit, medium significance'), titles.join('\n'))
    assert.ok(titles.includes('2025-06-14, School: DSL action (Neglect), medium significance'), titles.join('\n'))
    // an entry without a category is in the legend by its type, named so
    assert.deepEqual(p.legend.map((l) => [l.category, l.name]).sort(), [['dsl_action', 'DSL action'], ['home_visit', 'Home visit'], ['neglect', 'Neglect']])
    // the box counting the busy morning's others, each by the legend's name
    assert.equal(p.more.length, 1)
    assert.equal(p.more[0]!.title, '3 more entries from School, 2025-06-05: 2 DSL action, 1 Home visit')
    // the codes' humanised lower case appears nowhere a person reads
    const text = [...svg.matchAll(/<(title|text|tspan)\b[^>]*>([^<]*)</g)].map(([, , t]) => unescape(t!)).join('\n')
    assert.doesNotMatch(text, /dsl.action|home.visit|Dsl action/)
  })
})

describe('text XML does not allow', () => {
  it('a name, agency or category holding a character XML forbids (U+FFFE, U+FFFF) or markup is drawn as text, and the picture stays well-formed XML', () => {
    const list: TimelineEntry[] = [
      { id: 'a', occurred_at: new Date(Date.UTC(2025, 5, 5, 10)), agency: 'Police \uFFFF <b>&', type: 'incident', category: 'neglect\uFFFE', significance: 'high' },
      { id: 'b', occurred_at: new Date(Date.UTC(2025, 5, 9, 10)), agency: 'School ]]>', type: 'concern', category: 'neglect\uFFFE', significance: 'low' },
    ]
    const svg = timelineSvg(list, { title: 'Amy\uFFFF </title><script>x</script>', categoryLabels: { 'neglect\uFFFE': 'Neglect \uFFFF' } })
    const notXml = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
    assert.doesNotMatch(svg, notXml, 'every character is one XML allows')
    assert.doesNotMatch(svg, /<script|<b>|]]>/)
    const p = parse(svg)
    assert.deepEqual(p.lanes.map((l) => l.agency).sort(), ['Police \uFFFD <b>&', 'School ]]>'])
    assert.ok(p.legend.some((l) => l.name === 'Neglect \uFFFD'), p.legend.map((l) => l.name).join('\n'))
    assert.match(svg, /<title id="tl-title">Amy\uFFFD &lt;\/title&gt;&lt;script&gt;x&lt;\/script&gt;<\/title>/)
  })
})
