/* dl/archive: libarchive, loaded on first use by install/update. */
#include "dl_internal.h"

struct lm_archive_api lm_ar;
static void *ar_handle;

/* Linux's names; Homebrew's on Apple Silicon and on Intel (dlopen does not
 * search Homebrew by itself); last, macOS's own copy, which carries the same
 * interface under an older name. */
static const char *const sonames[] = {
	"libarchive.so.13", "libarchive.so",
	"/opt/homebrew/opt/libarchive/lib/libarchive.13.dylib",
	"/usr/local/opt/libarchive/lib/libarchive.13.dylib",
	"/usr/lib/libarchive.2.dylib",
	NULL,
};
static const struct dl_lib lib = { "libarchive", sonames, "libarchive", "libarchive13" };
static const char *const symbols[] = {
	"archive_read_new", "archive_read_support_filter_all", "archive_read_support_format_all",
	"archive_read_open_filename", "archive_read_open_memory", "archive_read_next_header",
	"archive_read_data_block", "archive_read_data", "archive_read_data_skip",
	"archive_read_free", "archive_write_disk_new", "archive_write_disk_set_options",
	"archive_write_header", "archive_write_data_block", "archive_write_finish_entry",
	"archive_write_free", "archive_error_string", "archive_entry_pathname",
	"archive_entry_set_pathname", "archive_entry_symlink", "archive_entry_hardlink",
	"archive_entry_set_hardlink", "archive_entry_filetype", "archive_entry_mode",
	"archive_entry_set_perm", "archive_entry_size",
};
_Static_assert(sizeof(symbols) / sizeof(symbols[0]) == DL_NSYMS(struct lm_archive_api),
	       "archive symbol table out of step with struct lm_archive_api");

int dl_archive_load(struct lm_err *err)
{
	return dl_load_table(&lib, symbols, (void **)&lm_ar, DL_NSYMS(lm_ar), &ar_handle, err);
}

int dl_archive_loaded(void)
{
	return ar_handle != NULL;
}
