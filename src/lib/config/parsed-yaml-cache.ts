import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {deserialize, serialize} from 'node:v8'

/**
 * evt.yaml as the YAML parser read it last time, kept in evt's home directory (`.evt/`). Loading
 * the yaml package and parsing the file take about 20 ms, a tenth of a short command, and almost
 * every run reads the same text. The entry holds the whole text it was parsed from, so any edit
 * is a miss, as is a missing, unreadable or foreign entry. It holds the parser's output only:
 * `${VAR}` references and every check still run each time. Nothing is written where the home
 * directory does not exist yet: reading evt.yaml never creates `.evt/` in a project.
 */
const ENTRY_FILE = 'evt.yaml.parsed'
/** Raised when what the parse keeps changes (its options, its limits), so older entries miss. */
const ENTRY_FORMAT = 1

interface Entry {
  data: unknown
  format: number
  text: string
}

/** The parse of `text`, from the entry in `home` when it holds that text, else `parse()` stored there. */
export function parseWithCache(home: string, text: string, parse: () => unknown): unknown {
  const file = path.join(home, ENTRY_FILE)
  const cached = readEntry(file)
  if (cached?.format === ENTRY_FORMAT && cached.text === text) return cached.data
  const data = parse()
  writeEntry(file, {data, format: ENTRY_FORMAT, text})
  return data
}

function readEntry(file: string): Partial<Entry> | undefined {
  try {
    const entry: unknown = deserialize(readFileSync(file))
    return typeof entry === 'object' && entry !== null ? entry : undefined
  } catch {
    // No entry yet, or one this Node.js cannot read (another version wrote it): parse instead.
    return undefined
  }
}

function writeEntry(file: string, entry: Entry): void {
  // Written aside and renamed into place, so a concurrent run reads the old entry or the new one.
  // Readable by the owner only: evt.yaml may hold a password written into it.
  const aside = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(aside, serialize(entry), {flag: 'wx', mode: 0o600})
    renameSync(aside, file)
  } catch {
    // A home that does not exist or cannot be written: the next run parses again.
    rmSync(aside, {force: true})
  }
}
