/**
 * The public face of `src-main/wire`: frame decoding for the tracker (fast
 * path) and for the details pane (dissection), the per-layer codecs and
 * checksums the engine and injection build frames with, and the pcap/pcapng
 * streaming readers and writers. Everything here is synchronous, pure apart
 * from the file readers and writers, and depends on nothing but Node.
 */
export * from './addr';
export * from './build';
export * from './capture-file';
export * from './capture-writer';
export * from './checksum';
export * from './decode';
export * from './dissect';
export * from './ipv4';
export * from './ipv6';
export * from './link';
export * from './link-types';
export * from './tcp';
