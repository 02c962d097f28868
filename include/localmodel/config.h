/*
 * config: the `key = value` file ($XDG_CONFIG_HOME/localmodel/config).
 * Precedence: flag > environment (LOCALMODEL_<KEY>) > file > default.
 * Commands apply flags themselves after config_load. Unknown keys are
 * collected as warnings (the caller prints them); bad values are errors
 * naming the file and line.
 */
#ifndef LOCALMODEL_CONFIG_H
#define LOCALMODEL_CONFIG_H

#include "base.h"

#define LM_CONFIG_MAX_WARN 8

struct lm_config {
	double reserve_gb;      /* memory kept free when fitting models (2) */
	int stale_days;         /* a model unused this long is stale (30) */
	double nudge_min_gb;    /* nudge only above this much stale data (5) */
	int port;               /* default serve port (8080) */
	char host[256];         /* default serve host (127.0.0.1) */
	double cloud_price_in;  /* $ per million input tokens (0 = unset) */
	double cloud_price_out; /* $ per million output tokens (0 = unset) */
	int connections;        /* pull connections per file (0 = auto) */
	char backend[32];       /* install backend (auto) */
	double swap_limit_gb;   /* memory guard: act above this swap use (0 = 3/4 of RAM, < 0 off) */
	double pressure_limit;  /* memory guard: act above this pressure, 0..100 (0 = 40, < 0 off) */
	char keep[1024];        /* models the memory guard never stops or unloads ("") */
	int calibrate;          /* measure this machine's speed when first needed (1) */
	char peers[4096];       /* other machines, "[NAME=]URL [key_file=PATH], ..." (peers.h) */
	int nwarnings;
	char warnings[LM_CONFIG_MAX_WARN][256];
};

void config_defaults(struct lm_config *c);
/* Load path (a missing file is fine), then the environment. */
int config_load(struct lm_config *c, const char *path, struct lm_err *err);
/* Set one key from a string; used by the file and environment readers. */
int config_set(struct lm_config *c, const char *key, const char *value, struct lm_err *err);
/* The names of all known keys, NULL-terminated. */
const char *const *config_keys(void);
/* The value of key in c as text ("2", "127.0.0.1"); -1 for an unknown key. */
int config_get(const struct lm_config *c, const char *key, char *buf, size_t size);

#endif
