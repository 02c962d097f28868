/* dl: load a library with dlopen and fill a table of function pointers. */
#include "dl_internal.h"
#include "localmodel/os.h"

#include <dlfcn.h>
#include <string.h>

int dl_load_table(const struct dl_lib *lib, const char *const *symbols, void **slots,
		  size_t n, void **handle, struct lm_err *err)
{
	void *h = NULL;

	if (*handle)
		return LM_OK;
	for (size_t i = 0; lib->sonames[i] && !h; i++)
		h = dlopen(lib->sonames[i], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		if (!strcmp(os_name(), "darwin"))
			return lm_err_set(err, LM_EFAIL, "cannot load %s: run 'brew install %s'",
					  lib->name, lib->brew);
		return lm_err_set(err, LM_EFAIL,
				  "cannot load %s (%s): install it, e.g. 'apt-get install %s'",
				  lib->name, lib->sonames[0], lib->deb);
	}
	for (size_t i = 0; i < n; i++) {
		void *p = dlsym(h, symbols[i]);
		if (!p) {
			lm_err_set(err, LM_EFAIL, "%s lacks '%s'", lib->name, symbols[i]);
			memset(slots, 0, n * sizeof(void *));
			dlclose(h);
			return LM_EFAIL;
		}
		slots[i] = p;
	}
	*handle = h;
	return LM_OK;
}
