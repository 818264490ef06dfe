/** SGR open and close codes: each style is closed on its own, so a coloured cell never leaks into the next. */
const STYLES = {
  blue: [34, 39],
  bold: [1, 22],
  cyan: [36, 39],
  dim: [2, 22],
  gray: [90, 39],
  green: [32, 39],
  magenta: [35, 39],
  red: [31, 39],
  yellow: [33, 39],
} as const

export type Style = keyof typeof STYLES

/** A painter for terminal text: with `color` off (a pipe, NO_COLOR) it returns the text as it is. */
export function painter(color: boolean | undefined): (text: string, ...styles: Style[]) => string {
  return (text, ...styles) => (color && text ? styles.reduce((painted, style) => `\u001B[${STYLES[style][0]}m${painted}\u001B[${STYLES[style][1]}m`, text) : text)
}
