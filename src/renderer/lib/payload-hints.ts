// What the command editor knows of the default routes' payloads (src/gateway/config.ts DEFAULT_ROUTES,
// validated by src/backend/user-routes.ts and fleet-game.ts): each field's type, whether the backend
// requires it, its limits and an example value. Routes added at run time have only their example.

export interface FieldHint {
  name: string;
  type: "string" | "integer";
  required: boolean;
  /** The limits the mock backend checks, as a person reads them. */
  hint: string;
  example: string | number;
}

export const ROUTE_FIELDS: Readonly<Record<string, readonly FieldHint[]>> = {
  "user.profile.get": [],
  "user.profile.update": [{ name: "display_name", type: "string", required: true, hint: "1–64 characters, not blank", example: "Commander Shepard" }],
  "user.sessions.list": [],
  "user.sessions.revoke": [
    {
      name: "device_session_id",
      type: "string",
      required: false,
      hint: "one of your sessions (not_found otherwise); omitted: every session of yours",
      example: "",
    },
  ],
  "game.chat.send": [
    { name: "to_user_id", type: "string", required: true, hint: "a known user id (not_found otherwise)", example: "" },
    { name: "text", type: "string", required: true, hint: "1–500 characters", example: "o7 commander" },
  ],
  "game.fleet.dispatch": [
    { name: "from_planet", type: "string", required: true, hint: "up to 64 characters; every pilot starts with 100 ships at earth", example: "earth" },
    { name: "to_planet", type: "string", required: true, hint: "up to 64 characters, not from_planet (same_planet)", example: "mars" },
    { name: "ships", type: "integer", required: true, hint: "a positive integer, at most what is parked at from_planet (insufficient_ships)", example: 10 },
  ],
};

/** The fields known for a route: the table's, else the keys of the route's example object. */
export function fieldsOf(messageType: string, example: unknown): readonly FieldHint[] {
  const known = ROUTE_FIELDS[messageType];
  if (known) return known;
  if (!example || typeof example !== "object" || Array.isArray(example)) return [];
  return Object.entries(example as Record<string, unknown>).map(([name, value]) => ({
    name,
    type: typeof value === "number" && Number.isInteger(value) ? "integer" : "string",
    required: false,
    hint: "from the route's example",
    example: typeof value === "number" ? value : String(value ?? ""),
  }));
}

/** What the payload lacks (required fields) and carries that the route does not know (likely typos). */
export function checkFields(fields: readonly FieldHint[], payload: unknown): { missing: string[]; unknown: string[] } {
  const object = payload && typeof payload === "object" && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  const known = new Set(fields.map((f) => f.name));
  return {
    missing: fields.filter((f) => f.required && !(f.name in object)).map((f) => f.name),
    unknown: fields.length > 0 ? Object.keys(object).filter((k) => !known.has(k)) : [],
  };
}

/** The payload text with `field` added (its example value), pretty-printed; the text as is when it is not a JSON object. */
export function withField(text: string, field: FieldHint): string {
  let object: Record<string, unknown> = {};
  if (text.trim() !== "") {
    try {
      const value: unknown = JSON.parse(text);
      if (!value || typeof value !== "object" || Array.isArray(value)) return text;
      object = value as Record<string, unknown>;
    } catch {
      return text;
    }
  }
  if (field.name in object) return text;
  return JSON.stringify({ ...object, [field.name]: field.example }, null, 2);
}
