// The JSON envelope (docs/api.md: the envelope), used for every response the service sends.
import type { ErrorCode, FieldErrors } from "./errors.ts";

export interface SuccessEnvelope<T> {
  success: true;
  message: string;
  data: T;
  error: null;
}

export interface ErrorEnvelope {
  success: false;
  message: string;
  data: null;
  error: { code: ErrorCode; details?: FieldErrors };
}

export function successBody<T>(message: string, data: T): SuccessEnvelope<T> {
  return { success: true, message, data, error: null };
}

export function errorBody(message: string, code: ErrorCode, details?: FieldErrors): ErrorEnvelope {
  return { success: false, message, data: null, error: details ? { code, details } : { code } };
}
