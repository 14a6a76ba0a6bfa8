// The recording state on the Overview (README "Record and play back"), from GET /emulator/v1/recording:
// while recording, what has been recorded and written, and a stop button; while playing back, what
// the recording loaded, and the replay of its pushes. Nothing when the emulator does neither.
import { useCallback, useState } from "react";
import type { RecordingState } from "../../../shared/protocol.js";
import { Panel } from "../../components/Panel.js";
import { clockTime } from "../../components/util.js";
import { describeError } from "../../services/http.js";
import { useServices } from "../../state/context.js";
import { usePoll } from "../../components/use-poll.js";

/** As often as the health checks beside it: a counter that moves shows the recording is live. */
const REFRESH_MS = 3_000;

export function RecordingPanel({ visible }: { visible: boolean }) {
  const { control } = useServices();
  const [state, setState] = useState<RecordingState>();
  const [error, setError] = useState<string>();

  const load = useCallback(
    async (signal?: AbortSignal) => {
      try {
        setState(await control.getRecording(signal));
        setError(undefined);
      } catch (e) {
        if (!signal?.aborted) setError(describeError(e));
      }
    },
    [control],
  );

  usePoll(visible, REFRESH_MS, load);

  const act = (action: () => Promise<unknown>) => () =>
    void action().then(
      () => load(),
      (e: unknown) => setError(describeError(e)),
    );

  if (!state || state.mode === "off") return error ? <div className="bad-text small">{`recording state: ${error}`}</div> : null;
  if (state.mode === "recording") {
    const c = state.counts;
    return (
      <Panel
        title="Recording"
        testId="overview-recording"
        actions={
          state.recording ? (
            <button type="button" data-testid="recording-stop" onClick={act(() => control.stopRecording())}>
              stop recording
            </button>
          ) : undefined
        }
      >
        <div className="small" data-testid="recording-summary" data-recording={String(state.recording)}>
          {state.recording ? `Recording into ${state.dir} since ${clockTime(state.started_at_ms)}` : `Stopped (${state.stop_reason ?? "stopped"}); recorded into ${state.dir}`}
          {`: ${c.commands} commands, ${c.session_lookups} session lookups, ${c.auth_calls} sign-in calls, ${c.pushes} pushes (${state.written} written to disk). `}
          {state.secrets_redacted ? "Secrets redacted." : "Secrets kept (--record-secrets)."}
        </div>
        {error && <div className="bad-text small">{error}</div>}
      </Panel>
    );
  }
  const c = state.counts;
  return (
    <Panel
      title="Playing back a recording"
      testId="overview-recording"
      actions={
        <>
          <button type="button" data-testid="replay-original" disabled={state.replay.running} onClick={act(() => control.replayPushes("original"))}>
            replay pushes
          </button>
          <button type="button" data-testid="replay-fast" disabled={state.replay.running} onClick={act(() => control.replayPushes("fast"))}>
            replay pushes, fast
          </button>
        </>
      }
    >
      <div className="small" data-testid="recording-summary" data-recording="false">
        {`Playing back ${state.dir}: ${c.stubs} stub mappings (in Stubs), ${c.users} users, ${c.sessions} device sessions, ${c.pushes} pushes`}
        {c.skipped_commands > 0 ? `; ${c.skipped_commands} recorded commands no stub can answer were left out` : ""}
        {state.replay.running ? ` — replaying: ${state.replay.sent} of ${state.replay.total} sent` : ""}
      </div>
      {error && <div className="bad-text small">{error}</div>}
    </Panel>
  );
}
