import type { Candidate, ContactProvider } from '@refinery/matching';
import { ObjectNotFoundError, type ObjectRef, type ObjectStore } from '@refinery/ports';

interface StoredAnswer {
  readonly provider: string;
  readonly row: number;
  readonly candidates: Candidate[];
}

/**
 * What remote providers already answered for a chunk's rows. A provider call costs time and often money, and an
 * outage can strike halfway through a chunk: the answers received so far are kept with the chunk's progress, so the
 * retry asks only for the rows still unanswered. In-memory providers (a directory) are asked again: that is free.
 */
export class ProviderAnswers {
  private readonly answers = new Map<string, Candidate[]>();
  private changed = false;

  static async load(objects: ObjectStore, ref: ObjectRef): Promise<ProviderAnswers> {
    const answers = new ProviderAnswers();
    let text: string;
    try {
      text = (await objects.getBuffer(ref)).toString('utf8');
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return answers;
      throw error;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const answer = JSON.parse(line) as StoredAnswer;
      answers.answers.set(answerKey(answer.provider, answer.row), answer.candidates);
    }
    return answers;
  }

  static keeps(provider: ContactProvider): boolean {
    return provider.inMemory !== true;
  }

  get(provider: ContactProvider, row: number): Candidate[] | undefined {
    return this.answers.get(answerKey(provider.name, row));
  }

  set(provider: ContactProvider, row: number, candidates: Candidate[]): void {
    if (!ProviderAnswers.keeps(provider)) return;
    // Plain data only: a provider's candidate objects may carry caches that must not be written out.
    this.answers.set(answerKey(provider.name, row), candidates.map(plainCandidate));
    this.changed = true;
  }

  get size(): number {
    return this.answers.size;
  }

  /** Writes the answers when there are new ones since loading; returns whether it wrote. */
  async save(objects: ObjectStore, ref: ObjectRef): Promise<boolean> {
    if (!this.changed) return false;
    const lines = [...this.answers].map(([key, candidates]) => {
      const [provider, row] = splitKey(key);
      return `${JSON.stringify({ provider, row, candidates } satisfies StoredAnswer)}\n`;
    });
    await objects.put(ref, lines.join(''), { contentType: 'application/x-ndjson' });
    this.changed = false;
    return true;
  }
}

function answerKey(provider: string, row: number): string {
  return `${row}\u0000${provider}`;
}

function splitKey(key: string): [string, number] {
  const at = key.indexOf('\u0000');
  return [key.slice(at + 1), Number(key.slice(0, at))];
}

function plainCandidate(candidate: Candidate): Candidate {
  return {
    id: candidate.id,
    fields: { ...candidate.fields },
    ...(candidate.updatedAt === undefined ? {} : { updatedAt: candidate.updatedAt }),
    ...(candidate.confidence === undefined ? {} : { confidence: candidate.confidence }),
  };
}
