// Business time comes from an injected clock, never from SQL now().
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

/** A clock tests can set and advance. */
export class FakeClock implements Clock {
  #t: number
  constructor(start: Date | string = '2026-11-23T10:00:00Z') {
    this.#t = new Date(start).getTime()
  }
  now(): Date {
    return new Date(this.#t)
  }
  set(t: Date | string): void {
    this.#t = new Date(t).getTime()
  }
  advance(ms: number): void {
    this.#t += ms
  }
  advanceMinutes(m: number): void {
    this.advance(m * 60_000)
  }
}
