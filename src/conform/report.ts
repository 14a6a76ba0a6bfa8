// The two renderings of a run: the table for people (check × protocol, then one line per failure or
// skip) and JUnit XML for CI (one testsuite per protocol, "rest" for the protocol-independent checks).
import { PROTOCOL_LABELS, type Protocol } from "./protocols.js";
import type { CheckResult, ConformReport, Outcome } from "./runner.js";

const CELL: Record<Outcome, string> = { pass: "pass", fail: "FAIL", skip: "skip" };
const columnLabel = (column: Protocol | "rest"): string => (column === "rest" ? "REST" : PROTOCOL_LABELS[column]);

export function counts(report: ConformReport): Record<Outcome, number> {
  const n: Record<Outcome, number> = { pass: 0, fail: 0, skip: 0 };
  for (const r of report.results) n[r.outcome]++;
  return n;
}

export function formatTable(report: ConformReport): string {
  const columns: Array<Protocol | "rest"> = ["rest", ...report.protocols];
  const rows = [...new Map(report.results.map((r) => [r.id, r.title])).entries()];
  const cell = (id: string, column: Protocol | "rest") => {
    const result = report.results.find((r) => r.id === id && r.protocol === column);
    return result ? CELL[result.outcome] : "-";
  };
  const titleWidth = Math.max("check".length, ...rows.map(([, title]) => title.length));
  const widths = columns.map((c) => Math.max(columnLabel(c).length, 4));
  const line = (first: string, cells: string[]) => [first.padEnd(titleWidth), ...cells.map((c, i) => c.padEnd(widths[i]!))].join("  ").trimEnd();
  const controlPlane = report.controlPlane.state === "present" ? "emulator control plane: yes" : `emulator control plane: no (${report.controlPlane.why})`;
  const out = [
    `conform ${report.target}: ${report.protocols.map((p) => PROTOCOL_LABELS[p]).join(", ")}; ${controlPlane}`,
    "",
    line("check", columns.map(columnLabel)),
    ...rows.map(([id, title]) => line(title, columns.map((c) => cell(id, c)))),
  ];
  const notable = report.results.filter((r) => r.outcome !== "pass");
  if (notable.length > 0) out.push("", ...notable.map((r) => `${CELL[r.outcome]} ${r.id} [${columnLabel(r.protocol)}]: ${r.reason}`));
  const n = counts(report);
  out.push("", `${n.pass} passed, ${n.fail} failed, ${n.skip} skipped in ${(report.ms / 1000).toFixed(1)} s`);
  return `${out.join("\n")}\n`;
}

export function junitXml(report: ConformReport): string {
  const suites = (["rest", ...report.protocols] as Array<Protocol | "rest">).map((column) => {
    const results = report.results.filter((r) => r.protocol === column);
    const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
    const seconds = results.reduce((sum, r) => sum + r.ms, 0) / 1000;
    return [
      `  <testsuite name="${attr(`conform ${columnLabel(column)}`)}" tests="${results.length}" failures="${count("fail")}" errors="0" skipped="${count("skip")}" time="${seconds.toFixed(3)}">`,
      ...results.map(testcase),
      "  </testsuite>",
    ].join("\n");
  });
  const n = counts(report);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(`galaxy-gateway conform ${report.target}`)}" tests="${report.results.length}" failures="${n.fail}" errors="0" skipped="${n.skip}" time="${(report.ms / 1000).toFixed(3)}">`,
    ...suites,
    "</testsuites>",
    "",
  ].join("\n");
}

function testcase(r: CheckResult): string {
  const open = `    <testcase classname="${attr(`conform.${r.protocol}`)}" name="${attr(`${r.id}: ${r.title}`)}" time="${(r.ms / 1000).toFixed(3)}"`;
  if (r.outcome === "pass") return `${open}/>`;
  const inner = r.outcome === "fail" ? `<failure message="${attr(r.reason)}" type="conformance">${text(r.reason)}</failure>` : `<skipped message="${attr(r.reason)}"/>`;
  return `${open}>\n      ${inner}\n    </testcase>`;
}

/** XML 1.0 text: markup escaped, characters XML cannot hold at all (most C0 controls) dropped. */
function text(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function attr(value: string): string {
  return text(value).replace(/"/g, "&quot;").replace(/\n/g, "&#10;");
}
