import { z } from "zod";
import { RaftError } from "../engine/errors.js";
import { silentLogger, type Logger } from "./logger.js";

/**
 * Parses options with their zod schema. A failure throws
 * `RaftError("InvalidConfig")` naming every bad field and why, e.g.
 * `invalid SqliteLogStore options: synchronous: expected "FULL" | "NORMAL"; busyTimeoutMs: too small`.
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) =>
    // A misspelt option would otherwise fall back to its default without a word.
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => `${fieldName([...issue.path, key])}: is not an option`) : [`${fieldName(issue.path)}: ${issue.message}`],
  );
  throw new RaftError("InvalidConfig", `invalid ${what}: ${problems.join("; ")}`);
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.length > 0 ? path.map(String).join(".") : "(the options)";
}

const LOGGER_METHODS = ["debug", "info", "warn", "error"] as const;

/** A `Logger` option: an object with debug, info, warn and error methods. */
export const loggerSchema = z
  .custom<Logger>((v) => typeof v === "object" && v !== null && LOGGER_METHODS.every((m) => typeof (v as Record<string, unknown>)[m] === "function"), {
    message: "must be a logger with debug, info, warn and error methods",
  })
  .meta({ title: "Logger" });

/** An optional `logger` option that logs nothing when left out. */
export const loggerOption = loggerSchema.default(silentLogger).meta({ defaultText: "silent" });
