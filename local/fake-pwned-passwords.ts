// What the fake Pwned Passwords range API (local/fake-providers.ts) knows, in a module of its own
// with no Node imports, so the tests running in workerd can import it too.
export const FAKE_PWNED = {
  /** Listed as breached (count 42). */
  breached: ["Breached-Passw0rd-2024", "Summer-Breach-42x"],
  /** Its prefix makes the API answer 503. */
  failing: "Pwned-Outage-Passw0rd-1",
  /** Its prefix makes the API answer after 3 s. */
  slow: "Pwned-Stall-Passw0rd-1",
};
