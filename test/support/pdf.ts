// A PDF route on a server without Chromium: the one "not available" page (src/platform/pdf/reply.ts), with the route's
// own alternative; and the text a PDF export shows, to check what it says.
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './app.ts'
import { inflateSync } from 'node:zlib'

/** The response to `get` while Chromium is missing, checked as a 503 page naming `alternative`. */
export async function assertPdfUnavailable(s: TestApp, get: () => Promise<LightMyRequestResponse>, alternative: RegExp): Promise<void> {
  const chromium = s.config.chromiumPath
  s.config.chromiumPath = '/nonexistent/chromium'
  try {
    const res = await get()
    assert.equal(res.statusCode, 503)
    assert.match(res.body, /<h1 class="govuk-heading-l">Sorry, you cannot download a PDF at the moment<\/h1>/)
    assert.match(res.body, /Try again later\./)
    assert.match(res.body, alternative)
  } finally {
    s.config.chromiumPath = chromium
  }
}

/**
 * The text a PDF printed by Chromium (Skia) shows, page by page, one text run a line: each page's content streams
 * (inflated) read for their text operators, each font's glyph codes mapped to text by its ToUnicode map. Enough to
 * check what a PDF export says; not a general PDF reader.
 */
export function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1')
  const objects = new Map<number, { dict: string; stream: string | null }>()
  const head = /(\d+) 0 obj\s*/g
  for (let m = head.exec(raw); m; m = head.exec(raw)) {
    const start = m.index + m[0].length
    const streamAt = raw.indexOf('stream', start)
    const endAt = raw.indexOf('endobj', start)
    if (streamAt >= 0 && streamAt < endAt) {
      const dict = raw.slice(start, streamAt)
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1])
      const from = streamAt + (raw[streamAt + 6] === '\r' ? 8 : 7)
      const bytes = pdf.subarray(from, from + length)
      objects.set(Number(m[1]), { dict, stream: /\/FlateDecode/.test(dict) ? inflateSync(bytes).toString('latin1') : bytes.toString('latin1') })
      head.lastIndex = from + length
    } else objects.set(Number(m[1]), { dict: raw.slice(start, endAt), stream: null })
  }
  const cmapOf = (n: number): Map<number, string> => {
    const map = new Map<number, string>()
    const text = objects.get(n)?.stream ?? ''
    const hex = (h: string) => String.fromCodePoint(...(h.match(/.{4}/g) ?? []).map((c) => parseInt(c, 16)))
    for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) for (const [, code, to] of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) map.set(parseInt(code!, 16), hex(to!))
    for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
      for (const [, lo, hi, to] of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
        for (let c = parseInt(lo!, 16), u = parseInt(to!, 16); c <= parseInt(hi!, 16); c++, u++) map.set(c, String.fromCodePoint(u))
      }
    }
    return map
  }
  const pages: string[] = []
  for (const { dict } of objects.values()) {
    if (!/\/Type \/Page\b(?!s)/.test(dict)) continue
    const fonts = new Map<string, Map<number, string>>()
    for (const [, name, ref] of (/\/Font\s*<<([^>]*)>>/.exec(dict)?.[1] ?? '').matchAll(/\/(\w+) (\d+) 0 R/g)) {
      const toUnicode = /\/ToUnicode (\d+) 0 R/.exec(objects.get(Number(ref))?.dict ?? '')?.[1]
      fonts.set(name!, toUnicode ? cmapOf(Number(toUnicode)) : new Map())
    }
    const contents = /\/Contents\s*(\[[^\]]*\]|\d+ 0 R)/.exec(dict)?.[1] ?? ''
    const lines: string[] = []
    for (const [, ref] of contents.matchAll(/(\d+) 0 R/g)) {
      let font = new Map<number, string>()
      let line = ''
      for (const [, f, hexes, op] of (objects.get(Number(ref))?.stream ?? '').matchAll(/\/(\w+) [\d.]+ Tf|(<[0-9A-Fa-f]*>|\[[^\]]*\])\s*(Tj|TJ)|\bET\b/g)) {
        if (f) font = fonts.get(f) ?? new Map()
        else if (op) for (const [, h] of hexes!.matchAll(/<([0-9A-Fa-f]*)>/g)) line += (h!.match(/.{4}/g) ?? []).map((c) => font.get(parseInt(c, 16)) ?? '').join('')
        else {
          lines.push(line)
          line = ''
        }
      }
    }
    pages.push(lines.filter(Boolean).join('\n'))
  }
  // Chromium sets ligatures ("ﬁ" in "filtered"): read as the letters they join
  return pages.join('\n').normalize('NFKC')
}
