/**
 * Virtual hosts on a real network (issue 7): an engine host attached to an
 * Ethernet interface through the capture helper — ARP (RFC 826) and IPv6
 * neighbour discovery (RFC 4861) answered and used, TCP (RFC 9293) run by the
 * engine on a wall clock — and `runVhost`, the session the `tcplab vhost`
 * command and the service drive: connect or listen, send, close with FIN or
 * RST, with the `tcplab simulate --json` event shapes.
 */
export * from './driver';
export * from './frames';
export * from './neighbors';
export * from './virtual-host';
export * from './session';
