// One journal entry as a sequence diagram: Client → Gateway → Backend, one step per stage with its
// time; the failing stage in red with its reason; the answer with its code and result_code.
import type { JournalEntry, JournalStage } from "../../../shared/protocol.js";

const W = 760;
const X = { client: 90, gateway: 380, backend: 670 } as const;
const TOP = 54;
const ROW = 30;

type Step =
  | { kind: "arrow"; from: number; to: number; label: string; note?: string; tone: "plain" | "ok" | "bad"; dashed?: boolean }
  | { kind: "box"; stage: JournalStage };

function stepsOf(e: JournalEntry): Step[] {
  const steps: Step[] = [
    {
      kind: "arrow",
      from: X.client,
      to: X.gateway,
      label: `${e.rpc}  ${e.message_type || "?"}`,
      note: `${e.protocol} · request_id ${e.request_id || "—"}`,
      tone: "plain",
    },
  ];
  for (const s of e.stages) {
    const ms = `${s.ms.toFixed(s.ms < 10 ? 2 : 1)} ms`;
    if (s.stage === "session" || s.stage === "backend") {
      const label = s.stage === "session" ? "session: GET internal/sessions/{id}" : `backend: ${e.message_type} → REST`;
      steps.push({ kind: "arrow", from: X.gateway, to: X.backend, label, tone: "plain", dashed: s.stage === "session" });
      steps.push({
        kind: "arrow",
        from: X.backend,
        to: X.gateway,
        label: s.ok ? `${ms}${s.stage === "backend" && e.result_code ? ` · ${e.result_code}` : ""}` : `✗ ${s.reason ?? "failed"} · ${ms}`,
        tone: s.ok ? "ok" : "bad",
        dashed: true,
      });
    } else {
      steps.push({ kind: "box", stage: s });
    }
  }
  const ok = e.code === "ok";
  const answer = ok
    ? e.rpc === "SubscribeEvents"
      ? "OK · stream open"
      : `OK · result_code ${e.result_code ?? "?"}`
    : `${e.code.toUpperCase()} · ${e.reason ?? ""}`;
  steps.push({ kind: "arrow", from: X.gateway, to: X.client, label: answer, tone: ok ? "ok" : "bad" });
  return steps;
}

function Arrow({ y, step }: { y: number; step: Extract<Step, { kind: "arrow" }> }) {
  const dir = step.to > step.from ? 1 : -1;
  const x2 = step.to - dir * 4;
  return (
    <g className={`seq-arrow ${step.tone}`}>
      <line x1={step.from} y1={y} x2={x2} y2={y} strokeDasharray={step.dashed ? "5 4" : undefined} />
      <path d={`M ${x2} ${y} l ${-dir * 8} -4 l 0 8 z`} />
      <text x={(step.from + step.to) / 2} y={y - 6} textAnchor="middle">
        {step.label}
      </text>
      {step.note && (
        <text className="note" x={(step.from + step.to) / 2} y={y + 13} textAnchor="middle">
          {step.note}
        </text>
      )}
    </g>
  );
}

function StageBox({ y, stage }: { y: number; stage: JournalStage }) {
  const w = 190;
  return (
    <g className={`seq-box ${stage.ok ? "ok" : "bad"}`} data-stage={stage.stage} data-ok={stage.ok}>
      <rect x={X.gateway - w / 2} y={y - 11} width={w} height={22} rx={5} />
      <text x={X.gateway - w / 2 + 10} y={y + 4}>
        {stage.ok ? "✓" : "✗"} {stage.stage}
      </text>
      <text x={X.gateway + w / 2 - 10} y={y + 4} textAnchor="end" className="ms">
        {stage.ms.toFixed(stage.ms < 10 ? 2 : 1)} ms
      </text>
      {!stage.ok && (
        <text x={X.gateway + w / 2 + 12} y={y + 4} className="reason">
          {stage.reason ?? "failed"}
        </text>
      )}
    </g>
  );
}

export function SequenceDiagram({ entry }: { entry: JournalEntry }) {
  const steps = stepsOf(entry);
  const height = TOP + steps.length * ROW + 20;
  return (
    <svg className="seq" data-testid="sequence-diagram" viewBox={`0 0 ${W} ${height}`} width="100%" role="img" aria-label={`sequence of call ${entry.seq}`}>
      {(["client", "gateway", "backend"] as const).map((p) => (
        <g key={p} className="seq-actor">
          <line className="lifeline" x1={X[p]} y1={34} x2={X[p]} y2={height - 6} />
          <rect x={X[p] - 56} y={6} width={112} height={28} rx={6} />
          <text x={X[p]} y={25} textAnchor="middle">
            {p[0]!.toUpperCase() + p.slice(1)}
          </text>
        </g>
      ))}
      {steps.map((s, i) => {
        const y = TOP + i * ROW + ROW / 2;
        return s.kind === "arrow" ? <Arrow key={i} y={y} step={s} /> : <StageBox key={i} y={y} stage={s.stage} />;
      })}
    </svg>
  );
}
