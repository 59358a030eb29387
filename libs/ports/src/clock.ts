export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface IdGenerator {
  /** A new unique, roughly time-ordered id, e.g. `job_01JD3Z...`. */
  newId(prefix: string): string;
}
