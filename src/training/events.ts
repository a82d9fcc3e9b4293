// What the trainer reports while it runs. Reporters turn events into a progress bar (a terminal)
// or JSON lines (logs, pipes, CI); the run directory's metrics.jsonl gets the same events except
// per-iteration ones.

/** Per-class validation Dice (label name -> Dice; null when the class is absent from every case). */
export type DiceByClass = Readonly<Record<string, number | null>>;

export type TrainingEvent =
  | { event: "start"; runDir: string; iteration: number; totalIterations: number; iterationsPerEpoch: number; epochs: number; resumed: boolean; seed: number }
  | { event: "iteration"; iteration: number; epoch: number; loss: number; lr: number; logs: Readonly<Record<string, number>>; seconds: number; dataWaitSeconds: number }
  | { event: "epoch"; epoch: number; iteration: number; meanLoss: number; lr: number; seconds: number; logs: Readonly<Record<string, number>> }
  | { event: "validation"; epoch: number; iteration: number; cases: number; dice: DiceByClass; meanDice: number | null; best: boolean; seconds: number }
  | { event: "checkpoint"; kinds: readonly string[]; iteration: number; file: string }
  | { event: "interrupted"; iteration: number; file: string }
  | { event: "end"; iteration: number; seconds: number; best: { metric: string; value: number; iteration: number } | null };

/** Receives training events (synchronously; must not throw). */
export interface TrainingReporter {
  onEvent(e: TrainingEvent): void;
  /** Called once when training stops (normally or not). */
  close?(): void;
}

/** Writes every event as one JSON line through `write` (give it a synchronous writer to flush per event). */
export function jsonLinesReporter(write: (line: string) => void, opts: { iterationEvery?: number } = {}): TrainingReporter {
  const every = opts.iterationEvery ?? 1;
  return {
    onEvent(e) {
      if (e.event === "iteration" && (e.iteration + 1) % every !== 0) return;
      write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
    },
  };
}
