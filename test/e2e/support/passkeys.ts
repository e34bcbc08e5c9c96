// Passkeys in the browser tests: Chromium's virtual authenticator (CDP WebAuthn domain) stands in for Windows
// Hello or a security key. A practitioner's passkey lives in the test app's map (server.s.passkeys, the same one
// the HTTP tests' signIn uses), so any later browser can be given it; a browser without JavaScript cannot run the
// ceremony, so signInAs answers it over HTTP with the browser's own cookies (as a script on the page would).
import type { CDPSession, Page as PwPage } from 'playwright-core'
import { SoftPasskey } from '../../support/webauthn.ts'
import type { E2eServer } from './server.ts'

export interface VirtualAuthenticator {
  cdp: CDPSession
  authenticatorId: string
}

/** A platform authenticator with user verification that always says yes. */
export async function addVirtualAuthenticator(page: PwPage): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable', { enableUI: false })
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  })
  return { cdp, authenticatorId }
}

export async function importPasskey(va: VirtualAuthenticator, passkey: SoftPasskey, rpId: string): Promise<void> {
  await va.cdp.send('WebAuthn.addCredential', {
    authenticatorId: va.authenticatorId,
    credential: { credentialId: passkey.credentialId.toString('base64'), isResidentCredential: false, rpId, privateKey: passkey.pkcs8().toString('base64'), signCount: passkey.counter },
  })
}

/** The authenticator's (first) credential, as a SoftPasskey with its current counter. */
export async function exportPasskey(va: VirtualAuthenticator): Promise<SoftPasskey | null> {
  const { credentials } = await va.cdp.send('WebAuthn.getCredentials', { authenticatorId: va.authenticatorId })
  const c = credentials[0]
  if (!c) return null
  return new SoftPasskey({ credentialId: Buffer.from(c.credentialId, 'base64'), pkcs8: Buffer.from(c.privateKey, 'base64'), counter: c.signCount })
}

export async function hasScript(page: PwPage): Promise<boolean> {
  // passkeys.js reveals the button; without JavaScript it stays hidden
  const button = page.locator('#passkey')
  if (!(await button.count())) return false
  return button.isVisible()
}

/** The ceremony over HTTP with the page's cookies and CSRF token (for a browser without JavaScript). */
export async function passkeyOverHttp(page: PwPage, server: E2eServer, kind: 'register' | 'authenticate', passkey: SoftPasskey, name = 'Test passkey'): Promise<void> {
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue()
  const request = page.context().request
  const [optionsUrl, url] = kind === 'register' ? ['/sign-in/passkey/enrol/options', '/sign-in/passkey/enrol'] : ['/sign-in/passkey/options', '/sign-in/passkey']
  const o = await request.post(server.baseUrl + optionsUrl, { headers: { 'x-csrf-token': csrf, 'content-type': 'application/json' }, data: {} })
  if (!o.ok()) throw new Error(`passkey options: ${o.status()}`)
  const options = (await o.json()) as { challenge: string }
  const response = kind === 'register' ? passkey.register(options, server.baseUrl) : passkey.authenticate(options, server.baseUrl)
  const r = await request.post(server.baseUrl + url, { form: { _csrf: csrf, response, ...(kind === 'register' ? { name } : {}) }, maxRedirects: 0 })
  if (r.status() !== 303) throw new Error(`passkey ${kind}: ${r.status()} ${(await r.text()).slice(0, 200)}`)
}
