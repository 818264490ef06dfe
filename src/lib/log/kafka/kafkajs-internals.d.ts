// The modules of kafkajs evt imports by path (kafka-headers.ts, partition-fetcher.ts; scripts/bundle.js's KAFKAJS_MODULES): CommonJS,
// without types of their own; each caller says what it takes from the default export.
declare module 'kafkajs/src/protocol/encoder.js' {
  const encoder: unknown
  export default encoder
}

declare module 'kafkajs/src/protocol/recordBatch/record/v0/index.js' {
  const record: unknown
  export default record
}

declare module 'kafkajs/src/protocol/requests/index.js' {
  const requests: unknown
  export default requests
}

declare module 'kafkajs/src/protocol/error.js' {
  const errors: unknown
  export default errors
}
