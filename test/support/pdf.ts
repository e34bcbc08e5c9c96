// A PDF route on a server without Chromium: the one "not available" page (src/platform/pdf/reply.ts), with the route's
// own alternative; and the text a PDF export shows, to check what it says.
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './app.ts'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

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
 * The text a PDF shows, page by page, a line for each line of text, read by Mozilla's pdf.js (pdfjs-dist): to check
 * what a PDF export says. Ligatures Chromium sets ("ﬁ" in "filtered") are read as the letters they join.
 */
export async function pdfText(pdf: Buffer): Promise<string> {
  const task = getDocument({ data: new Uint8Array(pdf), useSystemFonts: false })
  const doc = await task.promise
  try {
    const pages: string[] = []
    for (let n = 1; n <= doc.numPages; n++) {
      const { items } = await (await doc.getPage(n)).getTextContent()
      pages.push(items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''))
    }
    return pages.join('\n').normalize('NFKC')
  } finally {
    await task.destroy()
  }
}
