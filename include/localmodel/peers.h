/*
 * peers: other machines that serve models over llama-server's own HTTP API
 * (another localmodel, or a bare llama-server), and the routing decision
 * over them.
 *
 * A peer is written "[NAME=]URL [key_file=PATH]"; the config key `peers`
 * holds a comma-separated list of them, in order of preference. URL is an
 * OpenAI-compatible base URL (http or https, with or without the trailing
 * /v1). The API key is read from key_file ("~/" is $HOME) when probing,
 * never taken from a command line.
 *
 * peers_probe asks every peer at once (libcurl's multi interface, loaded
 * with dlopen) for /health, /v1/models, /props and
 * /slots?fail_on_no_slot=1, all within one deadline; peers_judge turns the
 * answers into a verdict and peers_order/peers_route decide, as pure
 * functions. Nothing here prints. Reports are owned by the caller
 * (peers_reports_free).
 */
#ifndef LOCALMODEL_PEERS_H
#define LOCALMODEL_PEERS_H

#include <limits.h>
#include <stddef.h>
#include "base.h"

struct lm_peer {
	char name[64];
	char base[512];          /* URL without the trailing "/v1" and "/" */
	char key_file[PATH_MAX]; /* "" when none */
	int preference;          /* 0 first */
	int local;               /* a server this machine supervises */
};

/* One "[NAME=]URL [key_file=PATH]" into p (preference left 0). The name
 * defaults to the URL's host[:port]. LM_EUSAGE for a malformed one. */
int peers_parse_one(const char *spec, struct lm_peer *p, struct lm_err *err);
/* A comma-separated list (the config's `peers`), appended to *list with
 * preferences following those already there. */
int peers_parse_list(const char *spec, struct lm_peer **list, size_t *n, struct lm_err *err);
/* Append one peer (copied) with the next preference. */
void peers_add(struct lm_peer **list, size_t *n, const struct lm_peer *p);

/* What one HTTP request got: status 0 when no answer (error says why). */
struct lm_peer_answer {
	long status;
	char *body;
	char error[160];
};

enum peer_req { PEER_HEALTH, PEER_MODELS, PEER_PROPS, PEER_SLOTS, PEER_NREQ };

/* The paths asked, by enum peer_req. */
extern const char *const peers_paths[PEER_NREQ];

struct lm_peer_model {
	char *id;
	char **aliases;
	size_t naliases;
	char state[16]; /* a router's: "loaded", "unloaded", "loading", ...; "" when not told */
};

struct lm_peer_report {
	struct lm_peer peer;
	int healthy;          /* reachable, /health 200 and the key accepted */
	const char *state;    /* ok, sleeping, loading, unauthorized, unreachable, error */
	char reason[256];     /* why not healthy ("" when healthy) */
	int sleeping;         /* -1 unknown */
	int free_slot;        /* 1 an idle slot, 0 all busy, -1 unknown (router, --no-slots) */
	int router;
	long latency_ms;      /* of /health, -1 without an answer */
	struct lm_peer_model *models;
	size_t nmodels;
};

/* The verdict from the answers to the requests of peers_paths (pure: unit
 * tests feed it). has_key: a key was sent. */
void peers_judge(const struct lm_peer_answer a[PEER_NREQ], int has_key,
		 struct lm_peer_report *r);
/* Healthy first, each group by preference (stable). */
void peers_order(struct lm_peer_report *r, size_t n);
/* 1 when the peer serves model (an id or an alias, case-sensitive). */
int peers_serves(const struct lm_peer_report *r, const char *model);
/* The first healthy report serving model (any model when model is NULL),
 * in the order given; NULL when none. */
const struct lm_peer_report *peers_route(const struct lm_peer_report *r, size_t n,
					 const char *model);

/* Probe every peer in parallel within timeout_ms in all; *out gets one
 * report per peer, in the same order. LM_EFAIL only when libcurl cannot be
 * loaded. */
int peers_probe(const struct lm_peer *peers, size_t n, int timeout_ms,
		struct lm_peer_report **out, struct lm_err *err);
void peers_report_release(struct lm_peer_report *r);
void peers_reports_free(struct lm_peer_report *r, size_t n);

#endif
