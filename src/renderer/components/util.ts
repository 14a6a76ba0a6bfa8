import type { StoredDevice } from "../../shared/bridge.js";

export function shortId(id: string, keep = 10): string {
  return id.length <= keep + 1 ? id : `${id.slice(0, keep)}…`;
}

export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/**
 * How a person tells devices apart: the email and, when that email signed in more than once here,
 * which sign-in it was and when ("alice@example.com · 2nd · 17:04:12"). A label the user gave wins.
 */
export function deviceLabel(device: StoredDevice, devices: readonly StoredDevice[]): string {
  if (device.label) return device.label;
  const twins = devices.filter((d) => d.email === device.email).sort((a, b) => a.createdAtMs - b.createdAtMs);
  if (twins.length < 2) return device.email;
  const n = twins.findIndex((d) => d.deviceSessionId === device.deviceSessionId) + 1;
  return `${device.email} · ${ordinal(n)} · ${new Date(device.createdAtMs).toLocaleTimeString([], { hour12: false })}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}
