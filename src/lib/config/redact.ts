/** Setting names whose values evt never prints back (sasl.password, registry.password, …). */
export const SECRET_SETTING = /password|secret|token/i

/** A URL as evt prints it: `https://user:pass@host/…` without the `user:pass@`. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][\w+.-]*:\/\/)[^/]*@/i, '$1')
}
