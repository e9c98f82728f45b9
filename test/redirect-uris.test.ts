// The redirect allowlist of "sign in with" flows (src/lib/redirect-uris.ts): exact matches only,
// and none of the spellings that make an open redirect of a careless comparison.
import { describe, expect, it } from "vitest";
import { isAllowedRedirect, redirectEntryProblem } from "../src/lib/redirect-uris.ts";

const production = { allowed: ["https://app.example.com/auth/callback", "https://app.example.com/"], wildcards: false };
const development = { allowed: ["http://localhost:3000/*", "http://localhost:8787/examples/social.html"], wildcards: true };

describe("isAllowedRedirect", () => {
  it("allows exactly the listed URLs", () => {
    expect(isAllowedRedirect("https://app.example.com/auth/callback", production)).toBe(true);
    expect(isAllowedRedirect("https://app.example.com/", production)).toBe(true);
    expect(isAllowedRedirect("https://app.example.com/auth/callback?next=1", production)).toBe(false);
    expect(isAllowedRedirect("https://app.example.com/auth/callback/", production)).toBe(false);
    expect(isAllowedRedirect("http://app.example.com/auth/callback", production)).toBe(false);
  });

  it("refuses every trick that points somewhere else or spells the same place another way", () => {
    for (const trick of [
      "//evil.example/auth/callback",
      "/auth/callback",
      "https://app.example.com.evil.com/auth/callback",
      "https://evil.com/https://app.example.com/auth/callback",
      "https://app.example.com@evil.com/auth/callback",
      "https://user:pass@app.example.com/auth/callback",
      "https://app.example.com\\@evil.com/auth/callback",
      "https:\\\\evil.com/auth/callback",
      "https://app.example.com/auth/../auth/callback",
      "https://app.example.com/auth/%2e%2e/auth/callback",
      "HTTPS://APP.EXAMPLE.COM/auth/callback",
      "https://app.example.com:443/auth/callback",
      "https://app.example.com/auth/callback#x",
      " https://app.example.com/auth/callback",
      "javascript:alert(1)//https://app.example.com/auth/callback",
      "data:text/html,https://app.example.com/auth/callback",
      "",
    ]) {
      expect(isAllowedRedirect(trick, production), trick).toBe(false);
    }
  });

  it("takes a trailing * under a path in development only, on that exact origin", () => {
    expect(isAllowedRedirect("http://localhost:3000/", development)).toBe(true);
    expect(isAllowedRedirect("http://localhost:3000/callback?x=1", development)).toBe(true);
    expect(isAllowedRedirect("http://localhost:8787/examples/social.html", development)).toBe(true);
    for (const trick of [
      "http://localhost:3001/",
      "http://localhost:3000.evil.com/",
      "http://evil@localhost:3000/",
      "http://localhost:3000/a/../../x",
    ]) {
      expect(isAllowedRedirect(trick, development), trick).toBe(false);
    }
    expect(isAllowedRedirect("http://localhost:3000/", { ...development, wildcards: false })).toBe(false);
  });
});

describe("redirectEntryProblem", () => {
  it("accepts canonical absolute URLs, and a trailing * after a path in development only", () => {
    expect(redirectEntryProblem("https://app.example.com/auth/callback", false)).toBeNull();
    expect(redirectEntryProblem("http://localhost:3000/*", true)).toBeNull();
    expect(redirectEntryProblem("http://localhost:3000/*", false)).toContain("development only");
    expect(redirectEntryProblem("http://localhost:3000*", true)).toContain("path ending in /");
    expect(redirectEntryProblem("https://APP.example.com/x", false)).toContain("canonical");
    expect(redirectEntryProblem("https://u:p@app.example.com/x", false)).not.toBeNull();
    expect(redirectEntryProblem("app.example.com/x", false)).not.toBeNull();
  });
});
