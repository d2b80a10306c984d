/**
 * What `redtrace record --profile` enables. `full` is every tracepoint, for
 * fine-grained debugging; `light` keeps each Redis request to at most two
 * events (its phases' timestamps travel in them) plus the bus and connection
 * events the analyses need, for production. See docs/events.md.
 */
export type Profile = 'full' | 'light';

export const PROFILES: Record<Profile, { events: string[]; subbufSize: string; numSubbuf: number }> = {
  full: { events: ['redis:*', 'nodejs:*'], subbufSize: '4M', numSubbuf: 8 },
  light: {
    events: [
      'redis:request',
      'redis:reply_written',
      'redis:accept_connection',
      'redis:free_client',
      'redis:cluster_send',
      'redis:cluster_read',
      'redis:cluster_process_packet',
      'redis:publish_propagate',
      'nodejs:*',
    ],
    subbufSize: '1M',
    numSubbuf: 8,
  },
};

/** Contexts every recording carries: thread and process identity. */
export const CONTEXTS = ['vpid', 'vtid', 'procname'];
