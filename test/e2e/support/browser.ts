// A fresh headless Chromium (Debian's, at /usr/bin/chromium) with its own temporary profile, and a check that
// every page a test opened was put through axe.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page as PwPage } from 'playwright-core'
import { trackDocuments, uncheckedDocuments, loadedDocuments, registerScriptlessHelper } from './axe.ts'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export interface BrowserSession {
  context: BrowserContext
  page: PwPage
  /** Every document the first page loaded, in order (URLs). */
  visited(): string[]
  /** Fails unless axe ran on every document the browser's pages loaded. */
  assertEveryPageChecked(): void
  close(): Promise<void>
}

/** A Chromium with a fresh temporary profile (`--user-data-dir`), removed on close. */
async function launch(baseURL: string, opts: { javaScriptEnabled: boolean; width: number }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\``)
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'teamaround-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    baseURL,
    javaScriptEnabled: opts.javaScriptEnabled,
    viewport: { width: opts.width, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  })
  context.setDefaultTimeout(15_000)
  return {
    context,
    async close() {
      await context.close()
      fs.rmSync(profile, { recursive: true, force: true })
    },
  }
}

export async function openBrowser(baseURL: string, opts: { javaScriptEnabled?: boolean; width?: number } = {}): Promise<BrowserSession> {
  const javaScriptEnabled = opts.javaScriptEnabled ?? true
  const width = opts.width ?? 1280
  const main = await launch(baseURL, { javaScriptEnabled, width })
  const { context } = main
  // axe cannot run in a page without script: a second, script-enabled Chromium checks copies of its pages
  let helper: Awaited<ReturnType<typeof launch>> | null = null
  let helperPage: PwPage | null = null
  if (!javaScriptEnabled) {
    registerScriptlessHelper(context, async () => {
      helper ??= await launch(baseURL, { javaScriptEnabled: true, width })
      helperPage ??= helper.context.pages()[0] ?? (await helper.context.newPage())
      return helperPage
    })
  }
  context.pages().forEach(trackDocuments)
  context.on('page', trackDocuments)
  const page = context.pages()[0] ?? (await context.newPage())
  trackDocuments(page)
  return {
    context,
    page,
    visited: () => loadedDocuments(page),
    assertEveryPageChecked() {
      const missed = context.pages().flatMap(uncheckedDocuments)
      assert.deepEqual(missed, [], `pages visited without an axe check: ${missed.join(', ')}`)
    },
    async close() {
      await main.close()
      await helper?.close()
    },
  }
}
