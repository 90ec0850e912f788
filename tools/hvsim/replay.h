/* hvsim replay TRACE: re-run a recorded trace and verify it event by event
 * (docs/traces.md). */
#ifndef HV_REPLAY_H
#define HV_REPLAY_H

/* argv: the arguments after `replay`. Returns the exit status. */
int hv_replay_cmd(int argc, char **argv);

#endif
