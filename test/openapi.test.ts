import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";

describe("GET /openapi.json", () => {
  it("serves an OpenAPI 3.1 document generated from the validating schemas", async () => {
    const res = await api("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    const signup = res.body.paths["/auth/user/signup"].post;
    expect(Object.keys(signup.responses)).toEqual(expect.arrayContaining(["201", "400"]));
    const schema = res.body.components.schemas.SignupRequest;
    expect(schema.required).toEqual(expect.arrayContaining(["username", "email", "password", "password2"]));
    expect(schema.properties.username.maxLength).toBe(100);
    expect(res.body.paths["/health"].get).toBeDefined();
    expect(res.body.paths["/other/metadata/countrydetails"].get).toBeDefined();
  });

  it("serves the interactive reference at /docs, reading /openapi.json", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.text).toContain("/openapi.json");
    expect(res.text).toContain("SwaggerUIBundle");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'unsafe-inline' https://cdn.jsdelivr.net");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    // Every other response keeps the strict policy.
    expect((await api("GET", "/openapi.json")).headers.get("content-security-policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });

  it("documents every route of the API", async () => {
    const paths = Object.keys((await api("GET", "/openapi.json")).body.paths);
    for (const path of [
      "/auth/user/login",
      "/auth/jwt/get-refresh",
      "/auth/sessions/{id}",
      "/profile/update",
      "/auth/password/reset",
      "/auth/user/email/confirm",
      "/.well-known/jwks.json",
    ]) {
      expect(paths).toContain(path);
    }
  });
});
