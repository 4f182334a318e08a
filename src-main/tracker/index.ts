/**
 * Observed TCP sessions: the tracker that splits segments into sessions like
 * Wireshark's `tcp.stream`, infers each endpoint's RFC 9293 state, flags
 * analysis events (Wireshark `tcp.analysis.*`, RFC 5961 RST validity and
 * challenge ACKs) and classifies outcomes (plain words and Zeek `conn_state`).
 */
export { Tracker, type TrackerOptions, type TrackResult } from './tracker';
export { ANALYSIS_NAMES, analysisNames } from './analysis';
