/* hvsim CLI: `hvsim walk` (docs/teaching/walk.md). */
#ifndef HV_WALK_CMD_H
#define HV_WALK_CMD_H

/* argv[0] is the first option after `walk`. Returns the exit status. */
int hv_walk_cmd(int argc, char **argv);

#endif
