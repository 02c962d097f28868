/* dl/curl: libcurl, loaded on first use by the commands that need it. */
#include "dl_internal.h"

struct lm_curl_api lm_curl;
static void *curl_handle;

/* Linux's names; macOS's own copy (in the dyld cache, loadable by its path
 * though no file is there); Homebrew's on Apple Silicon and on Intel (dlopen
 * does not search Homebrew by itself). */
static const char *const sonames[] = {
	"libcurl.so.4", "libcurl.so",
	"/usr/lib/libcurl.4.dylib",
	"/opt/homebrew/opt/curl/lib/libcurl.4.dylib",
	"/usr/local/opt/curl/lib/libcurl.4.dylib",
	NULL,
};
static const struct dl_lib lib = { "libcurl", sonames, "curl", "libcurl4" };
static const char *const symbols[] = {
	"curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_perform",
	"curl_easy_getinfo", "curl_easy_cleanup", "curl_easy_reset", "curl_easy_strerror",
	"curl_easy_pause", "curl_slist_append", "curl_slist_free_all", "curl_multi_init",
	"curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_perform",
	"curl_multi_poll", "curl_multi_info_read", "curl_multi_cleanup", "curl_multi_strerror",
	"curl_url", "curl_url_set", "curl_url_get", "curl_url_cleanup", "curl_free",
	"curl_version_info", "curl_share_init", "curl_share_setopt", "curl_share_cleanup",
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) == DL_NSYMS(struct lm_curl_api),
	       "curl symbol table out of step with struct lm_curl_api");

int dl_curl_load(struct lm_err *err)
{
	if (curl_handle)
		return LM_OK;
	int rc = dl_load_table(&lib, symbols, (void **)&lm_curl, DL_NSYMS(lm_curl),
			       &curl_handle, err);
	if (rc == LM_OK && lm_curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return lm_err_set(err, LM_EFAIL, "libcurl failed to initialise");
	return rc;
}

int dl_curl_loaded(void)
{
	return curl_handle != NULL;
}
