/** An answer other than success: its status and JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: string; [field: string]: unknown },
  ) {
    super(`${status} ${body.error}`);
  }
}

export const badRequest = (reason: string) => new HttpError(400, { error: "BadRequest", reason });
export const notFound = (what: string) => new HttpError(404, { error: "NotFound", reason: what });
