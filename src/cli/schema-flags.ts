import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

/** SUBJECT FILE, or --dir DIR (subject = file name without its extension). */
export const schemaFileArgs = {
  subject: Args.string({description: 'subject to check against (omit with --dir)'}),
  file: Args.string({description: 'schema file: .avsc (Avro), .json (JSON Schema) or .proto (Protobuf)'}),
}

export const schemaFileFlags = {
  dir: Flags.string({description: 'every schema file in DIR, each under the subject named by its file name'}),
  type: Flags.option({description: 'schema type, when the extension does not say', options: ['AVRO', 'JSON', 'PROTOBUF'] as const})(),
}
