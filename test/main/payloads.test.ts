import { describe, expect, it } from "vitest";
import { InvalidPayloadError, MAX_DEVICES, MAX_PREFERENCES_BYTES, parseDevices, parsePreferences } from "../../src/main/payloads.js";
import { device } from "./fixtures.js";

describe("devices payload", () => {
  it("accepts well-formed devices and returns copies", () => {
    const input = [device(), device({ deviceSessionId: "ds_0002", label: "laptop" })];
    const parsed = parseDevices(input);
    expect(parsed).toEqual(input);
    expect(parsed[0]).not.toBe(input[0]);
    expect(parseDevices([])).toEqual([]);
  });

  it.each([
    ["not an array", { devices: [] }],
    ["null entry", [null]],
    ["array entry", [[]]],
    ["missing field", [{ ...device(), email: undefined }]],
    ["empty id", [device({ deviceSessionId: "" })]],
    ["uppercase seed", [device({ seedHex: "9D61B19DEFFD5A60BA844AF492EC2CC44449C5697B326919703BAC031CAE7F60" })]],
    ["short seed", [device({ seedHex: "abcd" })]],
    ["non-base64url key", [device({ gatewayKey: "a+b/c" })]],
    ["fractional time", [device({ createdAtMs: 1.5 })]],
    ["negative time", [device({ createdAtMs: -1 })]],
    ["string time", [{ ...device(), createdAtMs: "1" }]],
    ["non-string label", [{ ...device(), label: 3 }]],
    ["unknown field", [{ ...device(), isAdmin: true }]],
    ["class instance", [Object.assign(new (class X {})(), device())]],
    ["duplicate ids", [device(), device()]],
    ["huge email", [device({ email: "a".repeat(400) })]],
  ])("rejects %s", (_name, value) => {
    expect(() => parseDevices(value)).toThrow(InvalidPayloadError);
  });

  it("caps the number of devices", () => {
    const many = Array.from({ length: MAX_DEVICES + 1 }, (_, i) => device({ deviceSessionId: `ds_${i}` }));
    expect(() => parseDevices(many)).toThrow(/at most/);
  });
});

describe("preferences payload", () => {
  it("accepts a small JSON object", () => {
    const prefs = { activeDevice: "ds_0001", tabs: ["journal", "routes"], nested: { n: 1, ok: true, none: null } };
    expect(parsePreferences(prefs)).toEqual(prefs);
  });

  it.each([
    ["null", null],
    ["array", []],
    ["string", "x"],
    ["a Map value", { m: new Map() }],
    ["a Date value", { d: new Date() }],
    ["a typed array", { b: new Uint8Array(2) }],
    ["NaN", { n: Number.NaN }],
    ["undefined value", { u: undefined }],
    ["deep nesting", JSON.parse(`${"{\"a\":".repeat(40)}1${"}".repeat(40)}`)],
  ])("rejects %s", (_name, value) => {
    expect(() => parsePreferences(value)).toThrow(InvalidPayloadError);
  });

  it("enforces the 64 KiB bound on the serialised form", () => {
    const overhead = JSON.stringify({ s: "" }).length;
    expect(() => parsePreferences({ s: "x".repeat(MAX_PREFERENCES_BYTES - overhead) })).not.toThrow();
    expect(() => parsePreferences({ s: "x".repeat(MAX_PREFERENCES_BYTES - overhead + 1) })).toThrow(/exceed/);
    // Counted in UTF-8 bytes, not UTF-16 units.
    expect(() => parsePreferences({ s: "é".repeat(MAX_PREFERENCES_BYTES / 2) })).toThrow(/exceed/);
  });
});
