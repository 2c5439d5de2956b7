/* What the running kernel can do, for clear refusals up front. */
#ifndef CALICO_KERNEL_FEATURES_H
#define CALICO_KERNEL_FEATURES_H

#include <stdbool.h>

/* true when IP-in-IP can be used: the ipip module is loaded, built in, or loadable. */
bool kernel_has_ipip(void);

#endif
