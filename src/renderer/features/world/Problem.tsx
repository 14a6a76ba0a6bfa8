import { describeError, HttpError } from "../../services/http.js";
import { splitProblem } from "./stub-template.js";

/** A refusal of the control plane, its JSON path first (where to look in the editor), then the rule. */
export function Problem({ error, testId }: { error: unknown; testId: string }) {
  const refused = error instanceof HttpError && error.status === 400;
  const { path, rule } = refused ? splitProblem(error.message) : { path: undefined, rule: describeError(error) };
  return (
    <div className="field-error" role="alert" data-testid={testId} data-path={path ?? ""}>
      {refused && <span className="dim">refused ({error.code}): </span>}
      {path && (
        <>
          at <code className="mono problem-path">{path}</code>:{" "}
        </>
      )}
      {rule}
    </div>
  );
}
