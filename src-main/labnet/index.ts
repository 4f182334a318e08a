/**
 * The lab network helper (issue 7): a network namespace with a real Linux
 * kernel peer, joined to the root namespace by a veth pair whose outer end a
 * virtual host attaches to, with optional `tc netem` delay and loss.
 */
export * from './labnet';
