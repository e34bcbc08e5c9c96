// One browser suite's lifecycle: the app served on a free port before the tests, every browser opened through
// `browser()` (or pushed onto `browsers`) closed after them, then the server.
import { after, before } from 'node:test'
import { openBrowser, type BrowserSession } from './browser.ts'
import { startE2eServer, type E2eServer } from './server.ts'

type BrowserOptions = Parameters<typeof openBrowser>[1]

export function withE2eServer(set: (server: E2eServer) => void, opts: { children?: number; browser?: BrowserOptions } = {}) {
  let server: E2eServer | undefined
  const browsers: BrowserSession[] = []
  before(async () => {
    server = await startE2eServer(opts.children ? { children: opts.children } : {})
    set(server)
  })
  after(async () => {
    for (const b of browsers) await b.close().catch(() => undefined)
    await server?.close()
  })
  const browser = async (o: BrowserOptions = {}): Promise<BrowserSession> => {
    if (!server) throw new Error('the server starts before the first test')
    const b = await openBrowser(server.baseUrl, { ...opts.browser, ...o })
    browsers.push(b)
    return b
  }
  return { browser, browsers }
}
