import { describe, expect, it } from "vitest";
import { api } from "./helpers.ts";

describe("GET /other/metadata/countrydetails/", () => {
  it("lists every ISO 3166-1 country with its calling code, keyed by alpha-2 code", async () => {
    const res = await api("GET", "/other/metadata/countrydetails/");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: "country details successful", error: null });
    const countries = res.body.data.countries as Record<string, { name: string; phone_code: string }>;
    expect(Object.keys(countries)).toHaveLength(249);
    for (const [code, country] of Object.entries(countries)) {
      expect(code).toMatch(/^[A-Z]{2}$/);
      expect(country.name.length).toBeGreaterThan(1);
      expect(country.phone_code).toMatch(/^[1-9]\d{0,3}$/);
    }
    expect(countries.XK).toBeUndefined();
  });

  it("keeps the 12 names and codes of the original list", async () => {
    const { countries } = (await api("GET", "/other/metadata/countrydetails")).body.data;
    expect(countries).toMatchObject({
      US: { name: "United States", phone_code: "1" },
      IN: { name: "India", phone_code: "91" },
      GB: { name: "United Kingdom", phone_code: "44" },
      FR: { name: "France", phone_code: "33" },
      DE: { name: "Germany", phone_code: "49" },
      JP: { name: "Japan", phone_code: "81" },
      CN: { name: "China", phone_code: "86" },
      NP: { name: "Nepal", phone_code: "977" },
      BT: { name: "Bhutan", phone_code: "975" },
      MM: { name: "Myanmar", phone_code: "95" },
      LK: { name: "Sri Lanka", phone_code: "94" },
      KR: { name: "South Korea", phone_code: "82" },
    });
  });

  it("is cacheable", async () => {
    const res = await api("GET", "/other/metadata/countrydetails/");
    expect(res.headers.get("cache-control")).toMatch(/public, max-age=\d+/);
  });
});
