/* global atob, btoa, navigator */
// Passkeys (WebAuthn) need the browser's navigator.credentials: this script runs the ceremony for a form marked
// data-passkey="register" or "authenticate". It asks the server for a challenge (data-options-url), lets the browser
// and the authenticator answer it, puts the answer in the form's hidden "response" field and sends the form. The
// server checks everything; the page shows what is needed when JavaScript or passkeys are not available.
const b64urlToBytes = (s) => {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
}
const bytesToB64url = (buf) => {
  const bytes = new Uint8Array(buf)
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function creationOptions(json) {
  return {
    ...json,
    challenge: b64urlToBytes(json.challenge),
    user: { ...json.user, id: b64urlToBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials ?? []).map((c) => ({ ...c, id: b64urlToBytes(c.id) })),
  }
}

function requestOptions(json) {
  return {
    ...json,
    challenge: b64urlToBytes(json.challenge),
    allowCredentials: (json.allowCredentials ?? []).map((c) => ({ ...c, id: b64urlToBytes(c.id) })),
  }
}

function credentialJson(cred) {
  const r = cred.response
  const response = { clientDataJSON: bytesToB64url(r.clientDataJSON) }
  if (r.attestationObject) {
    response.attestationObject = bytesToB64url(r.attestationObject)
    response.transports = typeof r.getTransports === 'function' ? r.getTransports() : []
  } else {
    response.authenticatorData = bytesToB64url(r.authenticatorData)
    response.signature = bytesToB64url(r.signature)
    if (r.userHandle) response.userHandle = bytesToB64url(r.userHandle)
  }
  return {
    id: cred.id,
    rawId: bytesToB64url(cred.rawId),
    type: cred.type,
    response,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
  }
}

const supported = typeof window.PublicKeyCredential === 'function' && navigator.credentials

for (const form of document.querySelectorAll('form[data-passkey]')) {
  const kind = form.dataset.passkey
  const error = form.querySelector('[data-passkey-error]')
  const show = (message) => {
    if (!error) return
    error.textContent = message
    error.hidden = false
  }
  // the parts that only make sense with JavaScript (the button) appear; the "needs JavaScript" note goes
  for (const el of form.querySelectorAll('[data-passkey-js]')) el.hidden = false
  for (const el of form.querySelectorAll('[data-passkey-nojs]')) el.hidden = true
  if (!supported) {
    show('This browser cannot use passkeys. Use an up-to-date browser on a device with a passkey or a security key.')
    continue
  }
  let busy = false
  form.addEventListener('submit', async (event) => {
    if (form.dataset.passkeyDone === 'yes') return
    // a field left empty: let the server's error summary say so before asking anything of the authenticator
    if ([...form.querySelectorAll('input[name="name"], input[name="code"]')].some((i) => !i.value.trim())) return
    event.preventDefault()
    if (busy) return
    busy = true
    try {
      const csrf = form.querySelector('input[name="_csrf"]')?.value ?? ''
      const res = await fetch(form.dataset.optionsUrl, {
        method: 'POST',
        headers: { 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
        credentials: 'same-origin',
      })
      if (!res.ok) throw new Error('options')
      const options = await res.json()
      const cred =
        kind === 'register'
          ? await navigator.credentials.create({ publicKey: creationOptions(options) })
          : await navigator.credentials.get({ publicKey: requestOptions(options) })
      if (!cred) throw new Error('no credential')
      form.querySelector('input[name="response"]').value = JSON.stringify(credentialJson(cred))
      form.dataset.passkeyDone = 'yes'
      form.submit()
    } catch (err) {
      show(
        err && err.name === 'NotAllowedError'
          ? 'The passkey was not used, or the request timed out. Try again.'
          : err && err.name === 'InvalidStateError'
            ? 'This passkey is already registered.'
            : 'Your passkey could not be used. Try again, or use another passkey.',
      )
    } finally {
      busy = false
    }
  })
}
