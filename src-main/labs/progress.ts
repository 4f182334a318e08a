/**
 * The learner's progress, kept as one JSON file in the data folder
 * (`$TCPLAB_DATA_DIR` or ~/.tcplab, `labs-progress.json`) so a lab resumes
 * where it was left after a restart: per lab the attempt so far (actions,
 * answers, predictions, hints), the virtual time the run had reached, the
 * best score and whether it was ever completed; and the learner's name for
 * reports. Writes go to a temporary file renamed over the old one, so a
 * crash never leaves half a file; a damaged file is set aside, not lost.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateAttempt, type LabAttempt } from '../../src-shared/labs';

export interface LabProgressEntry {
  attempt: LabAttempt;
  /** Virtual time the learner's run had reached (ms); -1 once it was run to its end. */
  now: number;
  best: number;
  max: number;
  completed: boolean;
  updated: string;
}

export interface ProgressFile {
  version: 1;
  learner: string;
  labs: Record<string, LabProgressEntry>;
}

export class ProgressStore {
  readonly file: string;
  private data: ProgressFile;

  constructor(readonly dir: string) {
    this.file = join(dir, 'labs-progress.json');
    this.data = this.read();
  }

  private read(): ProgressFile {
    const empty: ProgressFile = { version: 1, learner: '', labs: {} };
    if (!existsSync(this.file)) return empty;
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<ProgressFile>;
      const out: ProgressFile = {
        version: 1,
        learner: typeof raw.learner === 'string' ? raw.learner.slice(0, 100) : '',
        labs: {},
      };
      for (const [id, e] of Object.entries(raw.labs ?? {})) {
        const { attempt } = validateAttempt(e?.attempt, []);
        if (!attempt) continue;
        out.labs[id] = {
          attempt,
          now: typeof e.now === 'number' && e.now >= -1 ? e.now : 0,
          best: typeof e.best === 'number' ? e.best : 0,
          max: typeof e.max === 'number' ? e.max : 0,
          completed: e.completed === true,
          updated: typeof e.updated === 'string' ? e.updated : '',
        };
      }
      return out;
    } catch {
      try {
        renameSync(this.file, `${this.file}.damaged-${Date.now()}`);
      } catch {
        // nothing more to do: start afresh
      }
      return empty;
    }
  }

  private write(): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 1));
    renameSync(tmp, this.file);
  }

  get learner(): string {
    return this.data.learner;
  }

  setLearner(name: string): void {
    this.data.learner = name.trim().slice(0, 100);
    this.write();
  }

  get(id: string): LabProgressEntry | null {
    return this.data.labs[id] ?? null;
  }

  all(): Record<string, LabProgressEntry> {
    return this.data.labs;
  }

  save(
    id: string,
    attempt: LabAttempt,
    now: number,
    grade: { score: number; max: number } | null,
  ): LabProgressEntry {
    const prev = this.data.labs[id];
    const entry: LabProgressEntry = {
      attempt,
      now,
      best: Math.max(prev?.best ?? 0, grade?.score ?? 0),
      max: grade?.max ?? prev?.max ?? 0,
      completed: (prev?.completed ?? false) || (grade !== null && grade.max > 0 && grade.score === grade.max),
      updated: new Date().toISOString(),
    };
    this.data.labs[id] = entry;
    this.write();
    return entry;
  }

  /** Forgets a lab's attempt (keeps nothing). */
  reset(id: string): void {
    delete this.data.labs[id];
    this.write();
  }
}
