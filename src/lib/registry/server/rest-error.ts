/**
 * The error answers of the Confluent Schema Registry REST API: an HTTP status and a JSON body
 * `{error_code, message}`, where error_code is the status or the status plus two digits.
 * Codes and wording follow Confluent's server (io.confluent.kafka.schemaregistry.rest.exceptions
 * and rest-utils' exception mappers), so clients that switch on error_code behave the same.
 */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    /** Extra response headers, e.g. Allow on a 405. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'RestError'
  }

  get body(): {error_code: number; message: string} {
    return {error_code: this.errorCode, message: this.message}
  }
}

export const restErrors = {
  badRequest: (message: string) => new RestError(400, 400, message),
  forbidden: (message: string) => new RestError(403, 403, message),
  /** Confluent's message for an incompatible registration, with evt's reasons as the details. */
  incompatible: (subject: string, messages: string[]) =>
    new RestError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${messages.join('; ')}]`),
  internal: (message: string) => new RestError(500, 50001, `Error in the backend data store: ${message}`),
  invalidCompatibility: () =>
    new RestError(
      422,
      42203,
      'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
    ),
  invalidSchema: (message: string) => new RestError(422, 42201, `Invalid schema: ${message}`),
  invalidSubject: (subject: string) => new RestError(422, 42208, `The specified subject '${subject}' is not valid.`),
  invalidVersion: (version: string) =>
    new RestError(422, 42202, `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`),
  methodNotAllowed: (allowed: string[]) => new RestError(405, 405, 'HTTP 405 Method Not Allowed', {Allow: allowed.join(', ')}),
  missingBody: () => new RestError(422, 422, 'The request body is missing: expected a JSON object'),
  notFound: () => new RestError(404, 404, 'HTTP 404 Not Found'),
  schemaNotFound: (id?: number) => new RestError(404, 40403, id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectLevelNotConfigured: (subject: string) => new RestError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`),
  subjectNotFound: (subject: string) => new RestError(404, 40401, `Subject '${subject}' not found.`),
  /** The rest of the body is not read: the connection closes after the answer. */
  tooLarge: (limit: number) => new RestError(413, 413, `HTTP 413 Payload Too Large: the request body is over ${limit} bytes`, {Connection: 'close'}),
  unauthorized: () => new RestError(401, 401, 'Unauthorized', {'WWW-Authenticate': 'Basic realm="evt registry"'}),
  unsupportedMediaType: () =>
    new RestError(415, 415, 'HTTP 415 Unsupported Media Type: send the body as application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json or application/json'),
  versionNotFound: (version: number) => new RestError(404, 40402, `Version ${version} not found.`),
}
