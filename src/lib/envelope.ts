// The JSON envelope of API.md section 1, used for every response the service sends.
import type { ErrorCode, FieldErrors } from "./errors.ts";

export interface Envelope<T> {
  success: boolean;
  message: string;
  data: T | null;
  error: { code: ErrorCode; details?: FieldErrors } | null;
}

export function successBody<T>(message: string, data: T): Envelope<T> {
  return { success: true, message, data, error: null };
}

export function errorBody(message: string, code: ErrorCode, details?: FieldErrors): Envelope<never> {
  return { success: false, message, data: null, error: details ? { code, details } : { code } };
}
