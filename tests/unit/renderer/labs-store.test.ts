/**
 * The labs store's "Open lab file…" against a scripted fake bridge: the
 * picked file is read as text and sent with `labs.upload`, and the lab it
 * answers with is shown like one opened from the list; the service's
 * refusal, an unreadable file and a file too large for a lab end up in
 * `error` as one sentence, the last two without a call.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_LAB_TEXT,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type EventListener,
  type LabBridge,
  type Reply,
} from '../../../src-shared/contract';
import type { LabSessionState, LabView } from '../../../src-shared/labs';
import { setBridge } from '../../../src-renderer/src/bridge';
import { useLabsStore } from '../../../src-renderer/src/stores/labs';

class FakeBridge implements LabBridge {
  calls: Array<{ name: string; args: unknown }> = [];
  constructor(private reply: (name: CommandName, args: unknown) => Reply<unknown>) {}
  async invoke<K extends CommandName>(name: K, args: CommandArgs<K>): Promise<Reply<CommandResult<K>>> {
    this.calls.push({ name, args });
    return this.reply(name, args) as Reply<CommandResult<K>>;
  }
  subscribe(_l: EventListener): () => void {
    return () => undefined;
  }
}

const LAB = { id: 'my-first-lab', title: 'My first lab' } as LabView;
const STATE = { labId: 'my-first-lab', learner: 'Ada' } as LabSessionState;

function labFile(text: string, size = text.length) {
  return { name: 'my-first-lab.yaml', size, text: async () => text };
}

describe('labs store: open a lab file', () => {
  let bridge: FakeBridge;
  let reply: Reply<unknown>;
  beforeEach(() => {
    reply = { ok: true, result: { lab: LAB, state: STATE } };
    bridge = new FakeBridge(() => reply);
    setBridge(bridge);
    setActivePinia(createPinia());
  });

  it('sends the text with labs.upload and shows the lab it answers with', async () => {
    const labs = useLabsStore();
    await labs.upload(labFile('title: My first lab\n'));
    expect(bridge.calls).toEqual([
      { name: 'labs.upload', args: { name: 'my-first-lab.yaml', text: 'title: My first lab\n' } },
    ]);
    expect(labs.lab).toEqual(LAB);
    expect(labs.state).toEqual(STATE);
    expect(labs.learner).toBe('Ada');
    expect(labs.error).toBeNull();
  });

  it("keeps the service's sentence when the file is refused, and the list on screen", async () => {
    reply = {
      ok: false,
      error: { code: 'bad-file', message: 'my-first-lab.yaml:3:1: not valid YAML: bad indentation' },
    };
    const labs = useLabsStore();
    await labs.upload(labFile('title: [\n'));
    expect(labs.error).toBe('my-first-lab.yaml:3:1: not valid YAML: bad indentation');
    expect(labs.lab).toBeNull();
  });

  it('refuses a file too large for a lab, and one that cannot be read, without a call', async () => {
    const labs = useLabsStore();
    await labs.upload(labFile('x', MAX_LAB_TEXT + 1));
    expect(labs.error).toMatch(/^my-first-lab\.yaml is 1\.0 MiB; a lab file can be at most 1\.0 MiB\./);
    await labs.upload({
      name: 'gone.yaml',
      size: 10,
      text: () => Promise.reject(new Error('NotFoundError')),
    });
    expect(labs.error).toMatch(/^Could not read gone\.yaml: NotFoundError\./);
    expect(bridge.calls).toEqual([]);
  });
});
