/* dl_internal: the shared loader behind dl_*_load (private to src/dl). */
#ifndef LOCALMODEL_DL_INTERNAL_H
#define LOCALMODEL_DL_INTERNAL_H

#include "localmodel/dl.h"

/* Open the first soname that loads and resolve symbols[i] into slots[i].
 * The table must be a struct of n function pointers in the same order. */
int dl_load_table(const char *const *sonames, const char *const *symbols, void **slots,
		  size_t n, void **handle, struct lm_err *err);

#define DL_NSYMS(tbl) (sizeof(tbl) / sizeof(void *))

#endif
