// Provider calls over fetch, with a timeout: a slow provider must not hold a Worker for long.
import { DeliveryError } from "./ports.ts";

export async function postToProvider(url: string, init: RequestInit, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, method: "POST", signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new DeliveryError(`${new URL(url).host}: ${error instanceof Error ? error.message : "request failed"}`);
  }
  // Drain the body either way so the connection can be reused.
  const body = await response.text();
  if (!response.ok) throw new DeliveryError(`${new URL(url).host}: HTTP ${response.status} ${body.slice(0, 200)}`);
}
