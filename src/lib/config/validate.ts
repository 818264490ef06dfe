import {ConfigError} from '../errors.js'
import {SECRET_SETTING, withoutCredentials} from './redact.js'

/**
 * A small reader over parsed YAML that knows where it is, so every complaint names the file,
 * the path inside it (`clusters.staging.brokers[0]`) and what was expected.
 */
export class ConfigNode {
  constructor(
    readonly value: unknown,
    readonly file: string,
    readonly path: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private fail(expected: string): never {
    throw new ConfigError(`${this.file}: ${this.path || '(top level)'}: expected ${expected}, found ${quote(this.value, this.path)}`, {
      file: this.file,
      path: this.path,
    })
  }

  child(key: string): ConfigNode {
    const record = this.value as Record<string, unknown> | undefined
    return new ConfigNode(record?.[key], this.file, this.path ? `${this.path}.${key}` : key, this.env)
  }

  get present(): boolean {
    return this.value !== undefined && this.value !== null
  }

  entries(expected: string): [string, ConfigNode][] {
    if (!this.present) return []
    if (typeof this.value !== 'object' || Array.isArray(this.value)) this.fail(`a map of ${expected}`)
    return Object.keys(this.value as object).map((key) => [key, this.child(key)])
  }

  items(expected: string): ConfigNode[] {
    if (!this.present) return []
    if (!Array.isArray(this.value)) this.fail(`a list of ${expected}`)
    return this.value.map((item, index) => new ConfigNode(item, this.file, `${this.path}[${index}]`, this.env))
  }

  string(expected = 'a string'): string {
    if (typeof this.value === 'number') return String(this.value)
    if (typeof this.value !== 'string' || this.value === '') this.fail(expected)
    return this.expandEnv(this.value)
  }

  optionalString(expected?: string): string | undefined {
    return this.present ? this.string(expected) : undefined
  }

  boolean(): boolean {
    if (typeof this.value !== 'boolean') this.fail('true or false')
    return this.value
  }

  oneOf<T extends string>(options: readonly T[]): T {
    const text = this.string(`one of ${options.join(', ')}`)
    if (!options.includes(text as T)) this.fail(`one of ${options.join(', ')}`)
    return text as T
  }

  /** A string or a list of strings, as in `from: orders` or `from: [orders, payments]`. */
  stringList(expected: string): string[] {
    if (typeof this.value === 'string') return [this.string(expected)]
    return this.items(expected).map((item) => item.string(expected))
  }

  requireMap(expected: string): void {
    if (!this.present || typeof this.value !== 'object' || Array.isArray(this.value)) this.fail(expected)
  }

  /** `${NAME}` in a value reads the environment, so secrets need not live in evt.yaml. */
  private expandEnv(text: string): string {
    return text.replaceAll(/\$\{([A-Z_][A-Z0-9_]*)\}/gi, (_match, name: string) => {
      const value = this.env[name]
      if (value === undefined) this.reject(`environment variable ${name} to be set (it is referenced as \${${name}})`)
      return value
    })
  }

  reject(message: string): never {
    this.fail(message)
  }

  /** A string parsed by `parse`, whose complaint (any error it throws) is told with this node's file and path. */
  parsed<T>(expected: string, parse: (text: string) => T): T {
    const text = this.string(expected)
    try {
      return parse(text)
    } catch (error) {
      throw new ConfigError(`${this.file}: ${this.path}: ${(error as Error).message}`, {file: this.file, path: this.path})
    }
  }
}

/** A value found in evt.yaml as a complaint quotes it: passwords and the credentials in URLs are never shown. */
function quote(value: unknown, path: string): string {
  if (value === undefined) return 'nothing'
  if (SECRET_SETTING.test(path.slice(path.lastIndexOf('.') + 1))) {
    const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : typeof value === 'object' ? 'a map' : `a ${typeof value}`
    return `${kind} (a secret: not shown)`
  }

  return JSON.stringify(value, (key, item) => (SECRET_SETTING.test(key) ? '***' : typeof item === 'string' ? withoutCredentials(item) : item))
}
