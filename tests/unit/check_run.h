/* The common end of every unit-test main(): run the suite and turn the
 * failure count into an exit status. */
#ifndef HV_CHECK_RUN_H
#define HV_CHECK_RUN_H

#include <check.h>
#include <stdlib.h>

static inline int hv_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
