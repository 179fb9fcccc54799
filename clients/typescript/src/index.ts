// The intake API's typed client: `paths` and `components` are generated from
// openapi/openapi.json by openapi-typescript (`npm run generate`); requests go through
// openapi-fetch, so every path, parameter, body and response is checked by the compiler.
import createClient, { type Client, type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type { components, paths };

/** The API's named schemas: `Schemas["IntakeResponse"]`, `Schemas["ScoreResult"]`, … */
export type Schemas = components["schemas"];

export interface IntakeClientOptions {
  /** Where the API is served, e.g. `https://intake.clinic.example`. */
  baseUrl: string;
  /** The current access token, read on every request (`undefined` for public routes). */
  token?: () => string | undefined;
  /** A fetch implementation (defaults to the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

export type IntakeClient = Client<paths>;

/** A client that sends the bearer token `token()` returns with each request. */
export function createIntakeClient(options: IntakeClientOptions): IntakeClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const bearer: Middleware = {
    onRequest({ request }) {
      const token = options.token?.();
      if (token) {
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      return request;
    },
  };
  client.use(bearer);
  return client;
}

/**
 * The `If-Match` header that changes the version a response carried (its `ETag`): every
 * change of an intake, session or course needs it, so that two writers never overwrite each
 * other silently.
 */
export function ifMatch(response: Response): { "If-Match": string } {
  const etag = response.headers.get("ETag");
  if (etag === null) {
    throw new Error(`${response.url} answered without an ETag`);
  }
  return { "If-Match": etag };
}
