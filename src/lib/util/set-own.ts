/**
 * `object[name] = value` for names that come from data (header names): a plain assignment to
 * `__proto__` would set the prototype, or do nothing, instead of adding the property.
 */
export function setOwn<T>(object: Record<string, T>, name: string, value: NoInfer<T>): void {
  if (name === '__proto__') Object.defineProperty(object, name, {configurable: true, enumerable: true, value, writable: true})
  else object[name] = value
}
