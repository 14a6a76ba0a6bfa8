export function shortId(id: string, keep = 10): string {
  return id.length <= keep + 1 ? id : `${id.slice(0, keep)}…`;
}

export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}
