/* paths: LOCALMODEL_HOME or the XDG base directories. */
#include "localmodel/paths.h"
#include "localmodel/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pwd.h>

int paths_join(char *buf, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a);
	int n;

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	n = snprintf(buf, size, "%.*s/%s", (int)la, a, b);
	return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

int paths_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_dir : "/";
}

/* $VAR if set and absolute, else $HOME/fallback. */
static int xdg_dir(char *buf, size_t size, const char *var, const char *fallback)
{
	const char *v = getenv(var);
	if (v && v[0] == '/')
		return snprintf(buf, size, "%s", v) >= (int)size ? -1 : 0;
	return paths_join(buf, size, home_dir(), fallback);
}

#define JOIN(dst, a, b)                                                        \
	do {                                                                   \
		if (paths_join(dst, sizeof(dst), a, b) < 0)                    \
			return lm_err_set(err, LM_EFAIL, "path too long: '%s/%s'", a, b); \
	} while (0)

/* 1 when the user chose XDG directories (then macOS follows them too). */
static int xdg_chosen(void)
{
	static const char *const vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
					    NULL };
	for (int i = 0; vars[i]; i++) {
		const char *v = getenv(vars[i]);
		if (v && v[0] == '/')
			return 1;
	}
	return 0;
}

/* The XDG base directories: config, data, state (logs under it), runtime. */
static int paths_xdg(struct lm_paths *p, struct lm_err *err)
{
	char base[PATH_MAX];

	if (xdg_dir(base, sizeof(base), "XDG_CONFIG_HOME", ".config") < 0)
		return lm_err_set(err, LM_EFAIL, "config path too long");
	JOIN(p->config_dir, base, "localmodel");
	if (xdg_dir(base, sizeof(base), "XDG_DATA_HOME", ".local/share") < 0)
		return lm_err_set(err, LM_EFAIL, "data path too long");
	JOIN(p->data_dir, base, "localmodel");
	if (xdg_dir(base, sizeof(base), "XDG_STATE_HOME", ".local/state") < 0)
		return lm_err_set(err, LM_EFAIL, "state path too long");
	JOIN(p->state_dir, base, "localmodel");
	JOIN(p->log_dir, p->state_dir, "logs");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	if (rt && rt[0] == '/')
		JOIN(p->run_dir, rt, "localmodel");
	else
		JOIN(p->run_dir, p->state_dir, "run");
	return LM_OK;
}

/* macOS's own places: ~/Library/Application Support/localmodel for the
 * configuration, data and state, ~/Library/Logs/localmodel for the logs. */
static int paths_macos(struct lm_paths *p, struct lm_err *err)
{
	char base[PATH_MAX];

	JOIN(base, home_dir(), "Library/Application Support/localmodel");
	lm_strlcpy(p->config_dir, base, sizeof(p->config_dir));
	lm_strlcpy(p->data_dir, base, sizeof(p->data_dir));
	lm_strlcpy(p->state_dir, base, sizeof(p->state_dir));
	JOIN(p->run_dir, base, "run");
	JOIN(p->log_dir, home_dir(), "Library/Logs/localmodel");
	return LM_OK;
}

int paths_init(struct lm_paths *p, const char *home_override, struct lm_err *err)
{
	return paths_init_os(p, home_override, os_name(), err);
}

int paths_init_os(struct lm_paths *p, const char *home_override, const char *os,
		  struct lm_err *err)
{
	const char *home = home_override && *home_override ? home_override : getenv("LOCALMODEL_HOME");
	int rc;

	memset(p, 0, sizeof(*p));
	if (home && *home) {
		if (home[0] != '/') {
			char cwd[PATH_MAX];
			if (!getcwd(cwd, sizeof(cwd)))
				return lm_err_set(err, LM_EFAIL, "cannot resolve '%s': %s", home,
						  strerror(errno));
			JOIN(p->home, cwd, home);
		} else {
			lm_strlcpy(p->home, home, sizeof(p->home));
		}
		lm_strlcpy(p->config_dir, p->home, sizeof(p->config_dir));
		lm_strlcpy(p->data_dir, p->home, sizeof(p->data_dir));
		lm_strlcpy(p->state_dir, p->home, sizeof(p->state_dir));
		JOIN(p->run_dir, p->home, "run");
		JOIN(p->log_dir, p->state_dir, "logs");
	} else if (!strcmp(os, "darwin") && !xdg_chosen()) {
		if ((rc = paths_macos(p, err)))
			return rc;
	} else if ((rc = paths_xdg(p, err))) {
		return rc;
	}
	JOIN(p->config_file, p->config_dir, "config");
	JOIN(p->models_dir, p->data_dir, "models");
	JOIN(p->runtime_dir, p->data_dir, "runtime");
	JOIN(p->db_path, p->data_dir, "localmodel.db");
	return LM_OK;
}

int paths_ensure_dir(const char *dir, struct lm_err *err)
{
	char buf[PATH_MAX];
	size_t len = lm_strlcpy(buf, dir, sizeof(buf));

	if (len >= sizeof(buf))
		return lm_err_set(err, LM_EFAIL, "path too long: '%s'", dir);
	for (char *s = buf + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(buf, 0700) < 0 && errno != EEXIST)
				return lm_err_set(err, errno == ENOSPC ? LM_ERESOURCE : LM_EFAIL,
						  "cannot create '%s': %s", buf, strerror(errno));
			*s = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return lm_err_set(err, LM_EFAIL, "'%s' is not a directory", dir);
	return LM_OK;
}
