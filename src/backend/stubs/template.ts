// Response templates in a mapping's string values: `{{payload.a.b}}`, `{{user_id}}`, `{{email}}`,
// `{{device_session_id}}`, `{{request_id}}`, `{{now_ms}}`, `{{uuid}}`, `{{counter}}`, and in pushes
// `{{response.payload.x}}`. A string that is exactly one template takes the value itself (a number
// stays a number); a template inside a longer string adds the value's text (strings as they are,
// anything else as JSON, nothing when missing). A missing value on its own is null.
import { randomUUID } from "node:crypto";
import { HttpError } from "../../node/http-json.js";
import { childPath, fail } from "./validation-error.js";

/**
 * Largest rendered payload, in characters of the values templates insert. A request payload is at
 * most 64 KiB (MAX_PAYLOAD_BYTES), so echoing one whole fits; the bound stops a mapping that repeats
 * `{{payload}}` thousands of times from expanding one call into hundreds of megabytes.
 */
export const MAX_RENDERED_CHARS = 64 * 1024;

const TEMPLATE = /\{\{([^{}]*)\}\}/g;
const WHOLE_TEMPLATE = /^\{\{([^{}]*)\}\}$/;
const SIMPLE_VARIABLES = new Set(["user_id", "email", "device_session_id", "request_id", "now_ms", "uuid", "counter"]);
const PATH_VARIABLE = /^(payload|response\.payload)((?:\.[^.\s{}]+)*)$/;

/** What templates read when a call is answered. `response` is there for pushes only. */
export interface TemplateVariables {
  payload: unknown;
  user_id: string;
  email: string;
  device_session_id: string;
  request_id: string;
  now_ms: number;
  counter: number;
  response?: { payload: unknown };
}

/** Throws StubValidationError at the first string of `value` whose templates do not parse. */
export function checkTemplates(value: unknown, path: string, options: { response: boolean }): void {
  if (typeof value === "string") return checkString(value, path, options);
  if (Array.isArray(value)) return value.forEach((v, i) => checkTemplates(v, childPath(path, i), options));
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) checkTemplates(v, childPath(path, k), options);
  }
}

function checkString(text: string, path: string, options: { response: boolean }): void {
  for (const [, inner] of text.matchAll(TEMPLATE)) {
    const expr = inner!.trim();
    if (SIMPLE_VARIABLES.has(expr)) continue;
    const m = PATH_VARIABLE.exec(expr);
    if (!m) fail(path, `unknown template {{${expr}}} (payload.…, user_id, email, device_session_id, request_id, now_ms, uuid, counter${options.response ? ", response.payload.…" : ""})`);
    if (m[1] === "response.payload" && !options.response) fail(path, `{{${expr}}} is only available in push payloads`);
  }
  // Whatever is left once the well-formed templates are taken out must hold no brace pair.
  const rest = text.replace(TEMPLATE, "");
  if (rest.includes("{{") || rest.includes("}}")) fail(path, "has an unbalanced {{ or }} (templates are {{name}})");
}

/** Renders `value` (already checked); throws HttpError 422 once MAX_RENDERED_CHARS are inserted. */
export function render(value: unknown, vars: TemplateVariables): unknown {
  const budget = { left: MAX_RENDERED_CHARS };
  return renderValue(value, vars, budget);
}

function renderValue(value: unknown, vars: TemplateVariables, budget: { left: number }): unknown {
  if (typeof value === "string") return renderString(value, vars, budget);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, vars, budget));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderValue(v, vars, budget)]));
  }
  return value;
}

function renderString(text: string, vars: TemplateVariables, budget: { left: number }): unknown {
  if (!text.includes("{{")) return text;
  const whole = WHOLE_TEMPLATE.exec(text);
  if (whole) {
    const value = lookup(whole[1]!.trim(), vars);
    spend(budget, value === undefined ? 4 : typeof value === "string" ? value.length : JSON.stringify(value).length);
    return value === undefined ? null : value;
  }
  return text.replace(TEMPLATE, (_, inner: string) => {
    const value = lookup(inner.trim(), vars);
    const piece = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);
    spend(budget, piece.length);
    return piece;
  });
}

function spend(budget: { left: number }, chars: number): void {
  budget.left -= chars;
  if (budget.left < 0) {
    throw new HttpError(422, "stub_render_too_large", `the stub's templates expand to more than ${MAX_RENDERED_CHARS} characters`);
  }
}

function lookup(expr: string, vars: TemplateVariables): unknown {
  switch (expr) {
    case "uuid":
      return randomUUID();
    case "user_id":
    case "email":
    case "device_session_id":
    case "request_id":
    case "now_ms":
    case "counter":
      return vars[expr];
  }
  const m = PATH_VARIABLE.exec(expr)!;
  let current: unknown = m[1] === "payload" ? vars.payload : vars.response?.payload;
  for (const segment of m[2]!.split(".").slice(1)) {
    if (Array.isArray(current) && /^(0|[1-9][0-9]*)$/.test(segment)) current = current[Number(segment)];
    else if (typeof current === "object" && current !== null && !Array.isArray(current) && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else return undefined;
  }
  return current;
}
