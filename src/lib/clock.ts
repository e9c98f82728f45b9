// Time and randomness come through these small interfaces so tests can pin them.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Ids {
  uuid(): string;
  /** `length` characters from [A-Za-z0-9], uniformly distributed. */
  alphanumeric(length: number): string;
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export const randomIds: Ids = {
  uuid: () => crypto.randomUUID(),
  alphanumeric(length) {
    let out = "";
    while (out.length < length) {
      for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
        // Rejection sampling: 248 = 4 * 62, so bytes >= 248 are dropped to keep every character equally likely.
        if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
      }
    }
    return out;
  },
};
