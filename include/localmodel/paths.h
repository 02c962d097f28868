/*
 * paths: where localmodel keeps things. LOCALMODEL_HOME=DIR (or --home DIR)
 * puts everything under DIR; otherwise the XDG base directories are used, and
 * on macOS, unless an XDG_*_HOME variable is set, ~/Library/Application
 * Support/localmodel (config, data, state, run) and ~/Library/Logs/localmodel.
 * Nothing is created by paths_init: commands that write call paths_ensure_dir.
 */
#ifndef LOCALMODEL_PATHS_H
#define LOCALMODEL_PATHS_H

#include <limits.h>
#include "base.h"

struct lm_paths {
	char home[PATH_MAX];        /* LOCALMODEL_HOME, or "" */
	char config_dir[PATH_MAX];  /* .../localmodel */
	char config_file[PATH_MAX]; /* config_dir/config */
	char data_dir[PATH_MAX];    /* XDG_DATA_HOME/localmodel */
	char models_dir[PATH_MAX];  /* data_dir/models */
	char runtime_dir[PATH_MAX]; /* data_dir/runtime */
	char db_path[PATH_MAX];     /* data_dir/localmodel.db */
	char state_dir[PATH_MAX];   /* XDG_STATE_HOME/localmodel */
	char log_dir[PATH_MAX];     /* state_dir/logs */
	char run_dir[PATH_MAX];     /* XDG_RUNTIME_DIR/localmodel, else state_dir/run */
};

/* Fill p from home_override (may be NULL), LOCALMODEL_HOME, XDG_* and HOME. */
int paths_init(struct lm_paths *p, const char *home_override, struct lm_err *err);
/* The same for the layout of os ("linux", "darwin"), for tests. */
int paths_init_os(struct lm_paths *p, const char *home_override, const char *os,
		  struct lm_err *err);
/* mkdir -p with mode 0700 for each created component. */
int paths_ensure_dir(const char *dir, struct lm_err *err);
/* Join a and b with one '/', into buf; -1 when it does not fit. */
int paths_join(char *buf, size_t size, const char *a, const char *b);
/* 1 when path exists. */
int paths_exists(const char *path);

#endif
