// A PDF route on a server without Chromium: the one "not available" page (src/platform/pdf/reply.ts), with the route's
// own alternative.
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from './app.ts'

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
