import createClient, { type Middleware } from "openapi-fetch";
import type { paths, components } from "./schema";

export type Schemas = components["schemas"];

/** An RFC 9457 problem the API answered with, or a failure to reach it, in words. */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly problem: Record<string, unknown>;

  constructor(status: number, problem: Record<string, unknown>) {
    const detail = typeof problem.detail === "string" ? problem.detail : undefined;
    const title = typeof problem.title === "string" ? problem.title : `HTTP ${status}`;
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.problem = problem;
  }

  /** Validation errors the server attached (`errors: [{ path, message }]`), when any. */
  get errors(): { path?: string; message: string; line?: number }[] {
    const errors = this.problem.errors;
    return Array.isArray(errors) ? (errors as { path?: string; message: string; line?: number }[]) : [];
  }
}

/** Field errors of a 400 validation problem (`errors: { "field": ["…"] }`), by field; none for other errors. */
export function fieldErrors(error: unknown): Record<string, string[]> {
  const errors = error instanceof ApiError ? error.problem.errors : undefined;
  return errors && typeof errors === "object" && !Array.isArray(errors) ? (errors as Record<string, string[]>) : {};
}

let csrfToken: string | null = null;

/** Remembers the antiforgery token of the session (sent as X-CSRF-TOKEN on every changing request). */
export function setCsrfToken(token: string | null) {
  csrfToken = token;
}

/** Called when the API says the session is gone: the app sends the user to sign-in and back. */
let onSignedOut: (() => void) | null = null;
export function onSessionLost(handler: () => void) {
  onSignedOut = handler;
}

const session: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD" && csrfToken) {
      request.headers.set("X-CSRF-TOKEN", csrfToken);
    }
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith("/api/session")) {
      onSignedOut?.();
    }
    return response;
  },
};

/** The typed client of Cairn's API (types generated from /openapi/v1.json at build). */
export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: "same-origin" });
api.use(session);

/** Unwraps an openapi-fetch result: the data, or an ApiError with the server's words. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (cause) {
    throw new ApiError(0, { title: "Network error", detail: `Cairn did not answer (${(cause as Error).message}). Is the server running?` });
  }
  if (!result.response.ok) {
    const problem = typeof result.error === "object" && result.error !== null ? (result.error as Record<string, unknown>) : { detail: String(result.error ?? result.response.statusText) };
    throw new ApiError(result.response.status, problem);
  }
  return result.data as T;
}

/**
 * A request to a route whose answer the OpenAPI document does not type (it returns an anonymous object): the same
 * session, antiforgery token and error handling as the typed client.
 */
export async function request<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = contentType;
  if (method !== "GET" && csrfToken) headers["X-CSRF-TOKEN"] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  } catch (cause) {
    throw new ApiError(0, { title: "Network error", detail: `Cairn did not answer (${(cause as Error).message}). Is the server running?` });
  }
  if (response.status === 401 && !path.startsWith("/api/session")) onSignedOut?.();
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    parsed = { detail: text };
  }
  if (!response.ok) {
    throw new ApiError(response.status, (parsed as Record<string, unknown>) ?? { detail: response.statusText });
  }
  return parsed as T;
}
