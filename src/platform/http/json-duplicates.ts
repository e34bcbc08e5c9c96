// A JSON body with the same key twice in one object ({"childId":"a","childId":"b"}) is refused, never read as its last
// value (JSON.parse's way): a gateway, a log or an audit tool that reads the first value would see another request
// than the one the app carried out (a parser differential), on the most sensitive records a council holds.
//
// The text has already passed JSON.parse (syntax) when this runs, so the walk only follows the structure. Tokens come
// from jsonc-parser's scanner (Microsoft's, VS Code's JSON reader), which decodes a key's escapes — "a" and "\u0061"
// are the same key — and the walk keeps its own stack: iterative, so a body nested thousands of levels deep (refused
// later, by the depth rule) cannot overflow the call stack here. jsonc-parser's own visit() is recursive, hence not used.
import { createScanner } from 'jsonc-parser'

/** jsonc-parser's token kinds (its SyntaxKind, a const enum that this project's type-stripping build cannot import). */
export const TOKEN = { OpenBraceToken: 1, CloseBraceToken: 2, OpenBracketToken: 3, CloseBracketToken: 4, CommaToken: 5, StringLiteral: 10, EOF: 17 } as const

type Level = { kind: 'object'; keys: Set<string>; expectKey: boolean; key: string } | { kind: 'array'; index: number }

/** The path of the first key (in the text's order) that repeats a key of its own object, as [...parents, key]; null
 *  when every object's keys are distinct. For text that JSON.parse accepted (other text gives an unspecified answer). */
export function duplicateKey(text: string): (string | number)[] | null {
  // no object has two keys without a comma between them: a body without both has no duplicate to find
  if (!text.includes(',') || !text.includes('{')) return null
  const scanner = createScanner(text, true)
  const stack: Level[] = []
  for (let token = scanner.scan(); token !== TOKEN.EOF; token = scanner.scan()) {
    const top = stack[stack.length - 1]
    switch (token) {
      case TOKEN.OpenBraceToken:
        stack.push({ kind: 'object', keys: new Set(), expectKey: true, key: '' })
        break
      case TOKEN.OpenBracketToken:
        stack.push({ kind: 'array', index: 0 })
        break
      case TOKEN.CloseBraceToken:
      case TOKEN.CloseBracketToken:
        stack.pop()
        break
      case TOKEN.CommaToken:
        if (top?.kind === 'object') top.expectKey = true
        else if (top) top.index++
        break
      case TOKEN.StringLiteral:
        if (top?.kind === 'object' && top.expectKey) {
          const key = scanner.getTokenValue()
          top.expectKey = false
          top.key = key
          if (top.keys.has(key)) return stack.map((l) => (l.kind === 'object' ? l.key : l.index))
          top.keys.add(key)
        }
        break
    }
  }
  return null
}
