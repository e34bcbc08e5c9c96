// An HTTP user agent over fastify.inject: keeps cookies (raw set-cookie values), finds the CSRF token in pages.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'

export class Agent {
  cookies = new Map<string, string>()
  csrf: string | null = null
  readonly app: FastifyInstance
  constructor(app: FastifyInstance) {
    this.app = app
  }

  private cookieHeader(): string | undefined {
    if (!this.cookies.size) return undefined
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    const set = res.headers['set-cookie']
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = c.split(';')
      const i = pair!.indexOf('=')
      const name = pair!.slice(0, i)
      const value = pair!.slice(i + 1)
      if (/Max-Age=0/i.test(c) || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body)
    if (m) this.csrf = m[1]!
    return res
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const cookie = this.cookieHeader()
    return this.keep(await this.app.inject({ method: 'GET', url, headers: { ...(cookie ? { cookie } : {}), ...headers } }))
  }

  /** Posts a form with the current CSRF token (unless `_csrf` is given, or csrf: false). */
  async post(url: string, form: Record<string, string | string[]> = {}, opts: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
    const cookie = this.cookieHeader()
    const body = new URLSearchParams()
    if (opts.csrf !== false && !('_csrf' in form) && this.csrf) body.append('_csrf', this.csrf)
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x)
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}), ...(opts.headers ?? {}) },
      }),
    )
  }

  async postJson(url: string, json: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const cookie = this.cookieHeader()
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        payload: JSON.stringify(json),
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}), ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}), ...headers },
      }),
    )
  }
}
