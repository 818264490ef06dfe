import {type AvroNode, describeAvro} from './avro-model.js'

/** One reason two schemas are incompatible: what changed, and why a reader breaks on it. */
export interface Incompatibility {
  change: string
  path: string
  reason: string
}

/** Who reads and who wrote, for the sentences: e.g. reader 'the candidate', writer 'v3'. */
export interface ReadRoles {
  reader: string
  readerIsNew: boolean
  writer: string
}

const PROMOTIONS: Record<string, string[]> = {
  bytes: ['string'],
  float: ['double'],
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  string: ['bytes'],
}

/**
 * The Avro specification's schema-resolution rules: can a reader on `reader` read data written
 * with `writer`? Returns every reason it cannot (empty = compatible), each naming the field path.
 */
export function avroReadIssues(reader: AvroNode, writer: AvroNode, roles: ReadRoles): Incompatibility[] {
  let issues: Incompatibility[] = []
  const visiting = new Set<string>()
  const ids = new Map<object, number>()
  const idOf = (node: object) => {
    if (!ids.has(node)) ids.set(node, ids.size + 1)
    return ids.get(node)!
  }

  const where = (path: string) => (path ? `field '${path}'` : 'the schema')
  const oldNew = (readerNode: AvroNode, writerNode: AvroNode) =>
    roles.readerIsNew ? [describeAvro(writerNode), describeAvro(readerNode)] : [describeAvro(readerNode), describeAvro(writerNode)]
  const written = roles.readerIsNew ? `written by ${roles.writer}` : `written with ${roles.writer}`

  const mismatch = (readerNode: AvroNode, writerNode: AvroNode, path: string, shown: [AvroNode, AvroNode] = [readerNode, writerNode]) => {
    const [before, after] = oldNew(shown[0], shown[1])
    issues.push({
      change: `${where(path)} changed ${before} → ${after}`,
      path,
      reason: `a reader on ${describeAvro(readerNode)} cannot read ${describeAvro(writerNode)} values ${written}`,
    })
  }

  /**
   * Whether a reader type takes a writer type, without recording issues: used to find the union
   * branch that can. Shares `visiting`, so recursive types assume compatibility on a cycle.
   */
  const readable = (readerNode: AvroNode, writerNode: AvroNode): boolean => {
    const outer = issues
    issues = []
    check(readerNode, writerNode, '')
    const ok = issues.length === 0
    issues = outer
    return ok
  }

  const check = (readerNode: AvroNode, writerNode: AvroNode, path: string): void => {
    const pair = `${idOf(readerNode)}|${idOf(writerNode)}`
    if (visiting.has(pair)) return // a recursive type already being compared
    visiting.add(pair)
    try {
      compare(readerNode, writerNode, path)
    } finally {
      visiting.delete(pair)
    }
  }

  const compare = (readerNode: AvroNode, writerNode: AvroNode, path: string): void => {
    if (writerNode.kind === 'union') {
      for (const branch of writerNode.branches) {
        if (readerNode.kind === 'union') {
          if (!readerNode.branches.some((candidate) => readable(candidate, branch))) mismatch(readerNode, branch, path, [readerNode, writerNode])
        } else if (!readable(readerNode, branch)) {
          mismatch(readerNode, branch, path, [readerNode, writerNode])
        }
      }

      return
    }

    if (readerNode.kind === 'union') {
      const match = readerNode.branches.find((branch) => readable(branch, writerNode))
      if (!match) mismatch(readerNode, writerNode, path)
      return
    }

    if (readerNode.kind !== writerNode.kind) {
      mismatch(readerNode, writerNode, path)
      return
    }

    switch (readerNode.kind) {
      case 'primitive': {
        const writerType = (writerNode as typeof readerNode).type
        if (writerType !== readerNode.type && !PROMOTIONS[writerType]?.includes(readerNode.type)) mismatch(readerNode, writerNode, path)
        return
      }

      case 'array': {
        check(readerNode.items, (writerNode as typeof readerNode).items, `${path}[]`)
        return
      }

      case 'map': {
        check(readerNode.values, (writerNode as typeof readerNode).values, `${path}{}`)
        return
      }

      case 'fixed': {
        const writerFixed = writerNode as typeof readerNode
        if (!sameName(readerNode, writerFixed)) return renamed(readerNode, writerFixed, path)
        if (writerFixed.size !== readerNode.size) mismatch(readerNode, writerNode, path)
        return
      }

      case 'enum': {
        const writerEnum = writerNode as typeof readerNode
        if (!sameName(readerNode, writerEnum)) return renamed(readerNode, writerEnum, path)
        // A Set: enums may have hundreds of thousands of symbols, and the check must stay linear.
        const readerSymbols = new Set(readerNode.symbols)
        if (readerNode.default !== undefined && readerSymbols.has(readerNode.default)) return
        for (const symbol of writerEnum.symbols.filter((s) => !readerSymbols.has(s))) {
          issues.push({
            change: `enum ${readerNode.fullName}${path ? ` at '${path}'` : ''} ${roles.readerIsNew ? 'lost' : 'gained'} symbol '${symbol}'`,
            path,
            reason: `a reader on ${roles.reader} cannot read '${symbol}' ${written}, and its enum has no default`,
          })
        }

        return
      }

      case 'record': {
        const writerRecord = writerNode as typeof readerNode
        if (!sameName(readerNode, writerRecord)) return renamed(readerNode, writerRecord, path)
        const writerFields = new Map(writerRecord.fields.map((w) => [w.name, w] as const))
        for (const field of readerNode.fields) {
          const fieldPath = path ? `${path}.${field.name}` : field.name
          const alias = field.aliases.find((name) => writerFields.has(name))
          const source = writerFields.get(field.name) ?? (alias === undefined ? undefined : writerFields.get(alias))
          if (source) {
            check(field.type, source.type, fieldPath)
          } else if (!field.hasDefault) {
            issues.push(
              roles.readerIsNew
                ? {
                    change: `field '${fieldPath}' added without a default`,
                    path: fieldPath,
                    reason: `a reader on ${roles.reader} cannot fill it in records ${written}, which lack it`,
                  }
                : {
                    change: `field '${fieldPath}' removed`,
                    path: fieldPath,
                    reason: `a reader on ${roles.reader} requires it (it has no default there) but records ${written} lack it`,
                  },
            )
          }
        }
      }
    }
  }

  /**
   * The Avro specification's resolution rule: named types match by their unqualified name (as Java's
   * SchemaCompatibility and avsc decide too), or when one of the reader's aliases is the writer's
   * full name. A namespace moved is therefore not a rename; another short name is, unless aliased.
   */
  const sameName = (readerNamed: {fullName: string; names: string[]}, writerNamed: {fullName: string}) =>
    shortName(readerNamed.fullName) === shortName(writerNamed.fullName) || readerNamed.names.includes(writerNamed.fullName)
  const renamed = (readerNamed: {fullName: string}, writerNamed: {fullName: string}, path: string) => {
    const [before, after] = roles.readerIsNew ? [writerNamed.fullName, readerNamed.fullName] : [readerNamed.fullName, writerNamed.fullName]
    issues.push({
      change: `${path ? `the type of field '${path}'` : 'the record'} was renamed ${before} → ${after}`,
      path,
      reason: `a reader on ${roles.reader} only reads ${readerNamed.fullName} (or its aliases), not ${writerNamed.fullName} ${written}`,
    })
  }

  check(reader, writer, '')
  return issues
}

/** `Order` of `retail.Order`: the name without its namespace. */
function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1)
}
