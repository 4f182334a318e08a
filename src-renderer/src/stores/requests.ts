/**
 * Page requests: what a menu action asks of a component the shell (App.vue)
 * does not reach — the ladder on screen (File ▸ Export Ladder…) and the
 * Capture view's save control (File ▸ Save Capture As…) — as numbered
 * requests. App.vue, the one place menu actions are dispatched, bumps a
 * request; the component that can carry it out watches the number and takes
 * it, once. A ladder takes an export request only while it is mounted and
 * visible, and synchronously (its watcher is `flush: 'sync'`), so
 * `requestLadderExport()` can tell at once whether one did; a save request
 * waits for the Capture view to mount (its watcher is immediate). When no
 * component can do what was asked, App.vue shows `note`: a sentence saying
 * what to do.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';

export const NO_LADDER_NOTE = 'Open a capture or a simulation and pick a session first.';
export const NO_CAPTURE_NOTE =
  'There is no live capture to save yet: start one in the Capture view. ' +
  'Files opened in the Files view are already on disk.';

export const usePageRequestsStore = defineStore('pageRequests', () => {
  /** "Export Ladder…" requests made so far; the visible ladder watches this. */
  const exportLadder = ref(0);
  /** "Save Capture As…" requests made so far; the Capture view's controls watch this. */
  const saveCapture = ref(0);
  /** A sentence for the page (what to do when a menu action had nothing to act on), or null. */
  const note = ref<string | null>(null);
  let exportTaken = 0;
  let saveTaken = 0;

  /** Asks the ladder on screen to open its export menu; true when one took the request. */
  function requestLadderExport(): boolean {
    exportLadder.value++;
    return exportTaken === exportLadder.value;
  }

  /** For a visible ladder: takes the latest export request; false when it was already taken. */
  function takeLadderExport(): boolean {
    if (exportTaken >= exportLadder.value) return false;
    exportTaken = exportLadder.value;
    return true;
  }

  /** Asks the Capture view to save its capture (taken when its controls are mounted). */
  function requestCaptureSave(): void {
    saveCapture.value++;
  }

  /** For the Capture view's controls: takes the pending save request, if there is one. */
  function takeCaptureSave(): boolean {
    if (saveTaken >= saveCapture.value) return false;
    saveTaken = saveCapture.value;
    return true;
  }

  function showNote(text: string): void {
    note.value = text;
  }

  function dismissNote(): void {
    note.value = null;
  }

  return {
    exportLadder,
    saveCapture,
    note,
    requestLadderExport,
    takeLadderExport,
    requestCaptureSave,
    takeCaptureSave,
    showNote,
    dismissNote,
  };
});
