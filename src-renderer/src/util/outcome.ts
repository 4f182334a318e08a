/**
 * Outcome codes of a session in a few plain words for the sessions table
 * ("reset by B", "SYN scan"), with a tone for colouring: good (a clean
 * exchange), warn (something unfinished) or bad (refused or reset).
 */
import type { SessionOutcome } from '../../../src-shared/session';

const WORDS: Record<SessionOutcome, string> = {
  complete: 'complete',
  refused: 'refused',
  'reset-by-a': 'reset by A',
  'reset-by-b': 'reset by B',
  'half-open': 'half-open',
  'syn-scan': 'SYN scan',
  'no-answer': 'no answer',
  'handshake-incomplete': 'handshake incomplete',
  'simultaneous-open': 'simultaneous open',
  open: 'still open',
  midstream: 'started mid-stream',
};

const TONE: Record<SessionOutcome, 'good' | 'warn' | 'bad' | 'neutral'> = {
  complete: 'good',
  refused: 'bad',
  'reset-by-a': 'bad',
  'reset-by-b': 'bad',
  'half-open': 'warn',
  'syn-scan': 'bad',
  'no-answer': 'warn',
  'handshake-incomplete': 'warn',
  'simultaneous-open': 'good',
  open: 'neutral',
  midstream: 'neutral',
};

export function outcomeWords(o: string): string {
  return (WORDS as Record<string, string>)[o] ?? o.replace(/-/g, ' ');
}

export function outcomeTone(o: string): 'good' | 'warn' | 'bad' | 'neutral' {
  return (TONE as Record<string, 'good' | 'warn' | 'bad' | 'neutral'>)[o] ?? 'neutral';
}
