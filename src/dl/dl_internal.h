/* dl_internal: the shared loader behind dl_*_load (private to src/dl). */
#ifndef LOCALMODEL_DL_INTERNAL_H
#define LOCALMODEL_DL_INTERNAL_H

#include "localmodel/dl.h"

/* A library: its name, the files to try in order (NULL-ended), and the
 * package that brings it with Homebrew and with Debian's apt. */
struct dl_lib {
	const char *name;
	const char *const *sonames;
	const char *brew;
	const char *deb;
};

/* Open the first of lib's files that loads and resolve symbols[i] into
 * slots[i]. The table must be a struct of n function pointers in the same
 * order. The error names the package to install. */
int dl_load_table(const struct dl_lib *lib, const char *const *symbols, void **slots,
		  size_t n, void **handle, struct lm_err *err);

/* n bytes as 2n lowercase hex digits and a NUL. */
void dl_hex(const unsigned char *b, size_t n, char *hex);

#define DL_NSYMS(tbl) (sizeof(tbl) / sizeof(void *))

#endif
