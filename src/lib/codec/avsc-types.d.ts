// avsc's types module, which evt loads instead of its entry point (schema-codec.ts's loadAvsc): CommonJS, typed here by avsc's own types.
declare module 'avsc/lib/types.js' {
  import type avsc from 'avsc'

  const types: {Type: typeof avsc.Type; builtins: typeof avsc.types}
  export default types
}
