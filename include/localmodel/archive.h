/*
 * archive: safe extraction of release archives with libarchive (loaded with
 * dlopen through dl.h). The prefix is ar_ because archive_ is libarchive's.
 *
 * An archive is unpacked into a fresh staging directory beside the
 * destination, checked, and renamed into place in one step: either the whole
 * tree appears at dest or nothing does. Refused (LM_EINTEGRITY, nothing
 * installed, staging removed): absolute paths, ".." components, symlinks
 * whose target resolves outside the tree, any entry written through a
 * symlink or over one, hardlinks to anything but a regular file inside the
 * tree, device, fifo and socket entries. Exec bits and in-archive symlinks
 * (versioned .so chains) are kept; owners, setuid/setgid/sticky bits and
 * group/other write bits are not. A single top-level directory
 * (`llama-<tag>/`) is stripped: its contents become dest.
 *
 * Extraction changes the working directory for its duration (libarchive
 * resolves entry paths against it) and restores it before returning; it is
 * not for use from several threads at once. Nothing here prints.
 */
#ifndef LOCALMODEL_ARCHIVE_H
#define LOCALMODEL_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

struct ar_opts {
	uint64_t max_bytes;   /* total bytes of file data; 0 = 16 GiB */
	uint64_t max_entries; /* 0 = 200000 */
	const char *name;     /* the archive's name in messages; NULL = the file's */
};

/* Extract the archive file at path into dest, which must not exist; its
 * parent must (the staging directory is made there). opts may be NULL. */
int ar_extract_file(const char *path, const char *dest, const struct ar_opts *opts,
		    struct lm_err *err);
/* The same for an archive held in memory (tests, fuzzing). */
int ar_extract_memory(const void *buf, size_t len, const char *dest,
		      const struct ar_opts *opts, struct lm_err *err);

/* 1 when the symlink at root/rel with the given target resolves (following
 * any symlinks already under root, without leaving it) to a place inside
 * root; 0 when it escapes, is absolute or loops. */
int ar_link_inside(const char *root, const char *rel, const char *target);

/* rm -rf path without following symlinks; a missing path is fine. */
int ar_remove_tree(const char *path, struct lm_err *err);

#endif
