import { describe, expect, it } from "vitest";
import { createApp, LAZY_GROUPS } from "../src/app.ts";
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
    // Swagger UI from this origin (Workers static assets), started by a file rather than inline.
    expect(res.text).toContain('<script src="/docs-assets/swagger-ui-bundle.js"></script>');
    expect(res.text).toContain('<script src="/docs-assets/init.js"></script>');
    expect(res.text).not.toMatch(/https?:\/\//);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect(res.headers.get("content-security-policy")).not.toMatch(/unsafe-inline|https:/);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    // Every other response keeps the strict policy.
    expect((await api("GET", "/openapi.json")).headers.get("content-security-policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
  });

  it("documents every mounted route, each with its error responses", async () => {
    const document = (await api("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    // Every route the app serves, as OpenAPI names it (":id" -> "{id}"), but the two that serve
    // the documentation itself and the development routes (404 outside development and test).
    const undocumented = new Set(["/openapi.json", "/docs", "/dev/outbox", "/dev/isolate-stats"]);
    // The app's own routes and those of the groups built on first use.
    const groups = await Promise.all(LAZY_GROUPS.map((group) => group.routers()));
    const mounted = [...createApp().routes, ...groups.flat().flatMap((router) => router.routes)]
      .filter((route) => route.method !== "ALL" && !undocumented.has(route.path))
      .map((route) => ({ method: route.method.toLowerCase(), path: route.path.replace(/:(\w+)/g, "{$1}") }));
    expect(mounted.length).toBeGreaterThan(30);
    for (const { method, path } of mounted) {
      const operation = document.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path} is in /openapi.json`).toBeDefined();
      const errors = Object.keys(operation?.responses ?? {}).filter((status) => /^[45]/.test(status));
      // jwks, the country list and the sign-in providers answer no error of their own (404/405/500 are global).
      if (!["/.well-known/jwks.json", "/other/metadata/countrydetails", "/auth/oauth/providers"].includes(path)) {
        expect(errors.length, `${method.toUpperCase()} ${path} documents its errors`).toBeGreaterThan(0);
      }
    }
  });

  it("is an OpenAPI 3.1 document whose every $ref resolves", async () => {
    const document = (await api("GET", "/openapi.json")).body as Record<string, unknown> & {
      paths: Record<string, Record<string, { responses?: Record<string, { description?: unknown }> }>>;
    };
    expect(document.openapi).toBe("3.1.0");
    expect(document.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [path, item] of Object.entries(document.paths)) {
      expect(path.startsWith("/"), path).toBe(true);
      for (const [method, operation] of Object.entries(item)) {
        expect(["get", "put", "post", "delete", "patch", "options", "head"]).toContain(method);
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          expect(typeof response.description, `${method} ${path} ${status} has a description`).toBe("string");
        }
      }
    }
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((match) => match[1] ?? "");
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const target = ref
        .split("/")
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document);
      expect(target, `#/${ref} resolves`).toBeDefined();
    }
  });
});
