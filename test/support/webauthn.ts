// A software passkey for tests: a P-256 key from node:crypto that answers WebAuthn registration (attestation
// 'none') and sign-in ceremonies as a browser and authenticator would, for a given origin.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

// ---- a minimal CBOR encoder: unsigned/negative integers, byte and text strings, maps ----
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n])
  if (n < 256) return Buffer.from([(major << 5) | 24, n])
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255])
  const b = Buffer.alloc(5)
  b[0] = (major << 5) | 26
  b.writeUInt32BE(n, 1)
  return b
}
type Cbor = number | string | Buffer | Map<number | string, Cbor>
function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v)
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8')
    return Buffer.concat([head(3, s.length), s])
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v])
  const parts: Buffer[] = [head(5, v.size)]
  for (const [k, x] of v) parts.push(cbor(k), cbor(x))
  return Buffer.concat(parts)
}

const b64u = (b: Buffer) => b.toString('base64url')
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest()

export interface CeremonyOptions {
  challenge: string
  rp?: { id?: string }
  rpId?: string
}

export class SoftPasskey {
  readonly credentialId: Buffer
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  counter = 0
  /** A new key, or (for a browser's virtual authenticator) an existing one: its id, PKCS#8 key and counter. */
  constructor(existing?: { credentialId: Buffer; pkcs8: Buffer; counter: number }) {
    if (existing) {
      this.credentialId = existing.credentialId
      this.privateKey = createPrivateKey({ key: existing.pkcs8, format: 'der', type: 'pkcs8' })
      this.publicKey = createPublicKey(this.privateKey)
      this.counter = existing.counter
    } else {
      this.credentialId = randomBytes(32)
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      this.privateKey = privateKey
      this.publicKey = publicKey
    }
  }

  /** The private key as PKCS#8 DER (what Chromium's virtual authenticator takes). */
  pkcs8(): Buffer {
    return this.privateKey.export({ format: 'der', type: 'pkcs8' })
  }

  get id(): string {
    return b64u(this.credentialId)
  }

  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' })
    return cbor(
      new Map<number, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    )
  }

  private authData(rpId: string, flags: number, attested: boolean): Buffer {
    const count = Buffer.alloc(4)
    count.writeUInt32BE(this.counter)
    const parts: Buffer[] = [sha256(rpId), Buffer.from([flags]), count]
    if (attested) {
      const len = Buffer.alloc(2)
      len.writeUInt16BE(this.credentialId.length)
      parts.push(Buffer.alloc(16), len, this.credentialId, this.coseKey())
    }
    return Buffer.concat(parts)
  }

  /** The registration response a browser would send (attestation 'none'). */
  register(options: CeremonyOptions, origin: string, opts: { rpId?: string } = {}): string {
    const rpId = opts.rpId ?? options.rp?.id ?? new URL(origin).hostname
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }))
    // UP | UV | AT
    const authData = this.authData(rpId, 0x01 | 0x04 | 0x40, true)
    const attestationObject = cbor(new Map<string, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    })
  }

  /** The sign-in response a browser would send; the counter moves on unless told otherwise (a clone would not). */
  authenticate(options: CeremonyOptions, origin: string, opts: { rpId?: string; keepCounter?: boolean } = {}): string {
    const rpId = opts.rpId ?? options.rpId ?? new URL(origin).hostname
    if (!opts.keepCounter) this.counter += 1
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }))
    const authData = this.authData(rpId, 0x01 | 0x04, false)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey)
    return JSON.stringify({
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature) },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    })
  }
}
