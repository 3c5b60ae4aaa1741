import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyBaseLogger, FastifyInstance, FastifyTypeProvider, RawServerDefault } from "fastify";
import type { z } from "zod";
import { badRequest, HttpError } from "./http-error.js";

/** Request bodies are small JSON documents; anything larger is refused before it is buffered. */
export const maxBodyBytes = 64 * 1024;

/** Route schemas are zod schemas: handlers see `z.output` of them as the request's body, query and params. */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this["schema"] extends z.ZodType ? z.output<this["schema"]> : unknown;
  serializer: this["schema"] extends z.ZodType ? z.input<this["schema"]> : unknown;
}

/** A Fastify instance whose routes take zod schemas. */
export type ZodFastify = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** The 400 answer for a value a schema refuses: every bad field named. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
}

/**
 * Fastify validates each request part with the zod schema its route names
 * (`schema: { body, querystring, params }`) and hands the handler the parsed
 * value; a refusal answers 400 `BadRequest` naming every bad field. Bodies are
 * JSON whatever their content type (an empty one is `{}`), and invalid JSON
 * answers 400 `InvalidJSON`.
 */
export function useZodValidation(app: FastifyInstance): void {
  app.setValidatorCompiler<z.ZodType>(({ schema, httpPart }) => (data: unknown) => {
    const result = schema.safeParse(httpPart === "body" ? (data ?? {}) : data);
    return result.success ? { value: result.data } : { error: badRequest(describeIssues(result.error)) };
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: maxBodyBytes }, (_request, text, done) => {
    const body = String(text);
    if (body.trim() === "") return done(null, {});
    try {
      done(null, JSON.parse(body) as unknown);
    } catch (error) {
      done(new HttpError(400, { error: "InvalidJSON", reason: (error as Error).message }), undefined);
    }
  });
}
