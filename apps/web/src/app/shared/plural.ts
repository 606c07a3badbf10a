/** "1 field", "3 fields". Its own file: the module list uses it without loading the form (and zod). */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
