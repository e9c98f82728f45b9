// GET /other/metadata/countrydetails/
import { createRoute, z } from "@hono/zod-openapi";
import { countries } from "../lib/countries.ts";
import { successBody } from "../lib/envelope.ts";
import { jsonContent, successEnvelope } from "./openapi-parts.ts";
import { action, createRouter } from "./router.ts";

const countrySchema = z.object({ name: z.string(), phone_code: z.string() });
const countriesSchema = z
  .object({ countries: z.record(z.string(), countrySchema) })
  .openapi("Countries", { example: { countries: { IN: { name: "India", phone_code: "91" } } } });

// Built and serialised on the first request of an isolate, then kept: the list is static data, and
// serialising its 250 countries on every request was most of the route's CPU.
let body: string | undefined;
const countriesBody = async () => {
  const list = await countries();
  return JSON.stringify(
    successBody("country details successful", {
      countries: Object.fromEntries(
        [...list.values()].map((country) => [country.alphaCode, { name: country.name, phone_code: country.phoneCode }]),
      ),
    }),
  );
};

const countriesRoute = createRoute({
  method: "get",
  path: "/other/metadata/countrydetails",
  tags: ["metadata"],
  summary: "Every ISO 3166-1 country with its calling code, keyed by alpha-2 code",
  middleware: [action("country details")] as const,
  responses: { 200: jsonContent(successEnvelope(countriesSchema), "All countries") },
});

export const countryRoutes = createRouter().openapi(countriesRoute, async (c) => {
  // Public, static and identical for everyone: let browsers and Cloudflare's edge cache it.
  c.header("Cache-Control", "public, max-age=86400");
  body ??= await countriesBody();
  // The JSON the schema describes, already serialised (the handler's type expects c.json's answer).
  return c.body(body, 200, { "Content-Type": "application/json" }) as never;
});
