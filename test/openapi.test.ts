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
});
