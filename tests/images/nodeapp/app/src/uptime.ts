export function describe(millis: number, format: (n: number) => string): string {
  return `up ${format(Math.round(millis))}`;
}
