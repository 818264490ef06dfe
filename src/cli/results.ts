import type {AuditResult} from '../lib/audit/run-audit.js'
import type {DiscoverResult} from '../lib/flows/discover-flows.js'
import type {FlowGraph} from '../lib/flows/flow-graph.js'
import type {CompatibilityLevel, SubjectVersion} from '../lib/registry/schema-registry.js'
import type {DemoReport} from '../lib/demo/seed-demo.js'
import type {ProducedRecord} from '../lib/log/event-log.js'
import type {ReplayResult} from '../lib/replay/replay-records.js'
import type {FieldChange} from '../lib/schema/schema-diff.js'
import type {CheckOutcome} from '../lib/schema/schema-workflow.js'
import type {SubjectSummary} from '../lib/schema/subjects.js'
import type {ExportLine, ImportResult} from '../lib/topics/export-import.js'
import type {TopicSummary} from '../lib/topics/describe-topics.js'
import type {StalledResult} from '../lib/trace/stalled-flows.js'
import type {TraceJson} from '../lib/trace/trace-flow.js'
import type {TrustResult} from '../lib/config/trust.js'
import type {RebuildResult} from '../lib/views/rebuild-view.js'
import type {ViewDiff} from '../lib/views/view-diff.js'
import type {RecordJson} from '../ui/record-format.js'

/**
 * The `--json` contract: what each command prints, keyed by command id. Commands declare their
 * `run()` result as `JsonResult['id']`, so the types below are what is printed. Scripts rely on
 * these shapes: test/cli/contract.test.ts snapshots their JSON Schema, so a change is a reviewed diff.
 */
export interface JsonResult {
  audit: AuditResult
  demo: DemoReport
  'flow:discover': DiscoverResult
  'flow:graph': FlowGraph
  'rebuild:view': RebuildResult | RebuildResult[]
  /** Without --dry-run (which streams the records instead). */
  replay: ReplayResult
  'schema:check': CheckOutcome[]
  'schema:compat': {level: CompatibilityLevel; subject: null | string}
  'schema:diff': {changes: FieldChange[]; from: number; subject: string; to: number}
  'schema:list': SubjectSummary[]
  'schema:register': RegisterSummary[]
  'schema:show': SubjectVersion
  'topic:create': {partitions: number; topic: string}
  'topic:import': ImportResult
  'topic:list': TopicSummary[]
  trace: StalledResult | TraceJson
  /** `trace index FLOW`: records read now, and indexed in all. */
  'trace:reindex': {file: string; flow: string; read: number; records: number; seconds: number; topics: string[]}
  trust: TrustResult
  'view:diff': ViewDiff
}

/** Commands that stream: one JSON value per line, of this type. */
export interface JsonLine {
  /** With --live: each order as it is placed. */
  demo: {order: string; placedAt: string}
  'registry:serve': {url: string}
  /** With --dry-run: the records that would be sent. */
  replay: RecordJson
  'topic:export': ExportLine
  'topic:produce': ProducedRecord
  'topic:tail': RecordJson
  /** With --follow: the whole trace so far, one line each time it changes. */
  trace: TraceJson
}

export interface RegisterSummary {
  id?: number
  /** Why the registry would refuse it, when it is incompatible. */
  reasons?: string[]
  registered: boolean
  subject: string
  version?: number
}
