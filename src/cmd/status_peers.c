/* status --peers: probe this machine's servers and the configured peers
 * (bounded, in parallel) and print an ordered provider list; with --model
 * NAME, the first healthy provider serving NAME (the routing answer). */
#include "localmodel/cmd.h"
#include "localmodel/peers.h"
#include "localmodel/supervise.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* This machine's own supervised llama-servers (not RPC workers), first. */
static void add_local(struct lm_ctx *ctx, struct lm_peer **list, size_t *n)
{
	struct sup_state *st = NULL;
	size_t ns = 0;
	struct lm_err err = { 0 };

	if (sup_state_list(ctx->paths.run_dir, &st, &ns, &err))
		return;
	for (size_t i = 0; i < ns; i++) {
		struct lm_peer p;
		const char *h = st[i].host;
		int v6 = strchr(h, ':') != NULL;
		if (st[i].rpc_worker || !sup_state_alive(&st[i]))
			continue;
		memset(&p, 0, sizeof(p));
		if (!strcmp(h, "0.0.0.0") || !*h)
			h = "127.0.0.1", v6 = 0;
		else if (!strcmp(h, "::"))
			h = "::1";
		snprintf(p.name, sizeof(p.name), "local:%d", st[i].port);
		snprintf(p.base, sizeof(p.base), "http://%s%s%s:%d", v6 ? "[" : "", h, v6 ? "]" : "",
			 st[i].port);
		lm_strlcpy(p.key_file, st[i].key_file, sizeof(p.key_file));
		p.local = 1;
		peers_add(list, n, &p);
	}
	free(st);
}

static int gather(struct lm_ctx *ctx, struct lm_args *args, struct lm_peer **list, size_t *n,
		  struct lm_err *err)
{
	const char *given = args_get(args, "peer");
	int rc;

	add_local(ctx, list, n);
	/* --peer replaces the configured list for this run */
	if (given)
		rc = peers_parse_list(given, list, n, err);
	else
		rc = peers_parse_list(ctx->cfg.peers, list, n, err);
	if (rc)
		return lm_err_prefix(err, "%s", given ? "--peer" : "config 'peers'");
	return LM_OK;
}

static void add_bool_or_null(cJSON *o, const char *name, int v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddBoolToObject(o, name, v);
}

static cJSON *report_json(const struct lm_peer_report *r)
{
	cJSON *o = cJSON_CreateObject(), *models;
	char ep[600];

	snprintf(ep, sizeof(ep), "%s/v1", r->peer.base);
	cJSON_AddStringToObject(o, "name", r->peer.name);
	cJSON_AddStringToObject(o, "endpoint", ep);
	cJSON_AddNumberToObject(o, "preference", r->peer.preference);
	cJSON_AddBoolToObject(o, "local", r->peer.local);
	cJSON_AddBoolToObject(o, "healthy", r->healthy);
	cJSON_AddStringToObject(o, "state", r->state);
	if (r->reason[0])
		cJSON_AddStringToObject(o, "reason", r->reason);
	else
		cJSON_AddNullToObject(o, "reason");
	add_bool_or_null(o, "sleeping", r->sleeping);
	add_bool_or_null(o, "free_slot", r->free_slot);
	cJSON_AddBoolToObject(o, "router", r->router);
	if (r->latency_ms >= 0)
		cJSON_AddNumberToObject(o, "latency_ms", (double)r->latency_ms);
	else
		cJSON_AddNullToObject(o, "latency_ms");
	if (r->peer.key_file[0])
		cJSON_AddStringToObject(o, "api_key_file", r->peer.key_file);
	else
		cJSON_AddNullToObject(o, "api_key_file");
	models = cJSON_AddArrayToObject(o, "models");
	for (size_t i = 0; i < r->nmodels; i++) {
		const struct lm_peer_model *m = &r->models[i];
		cJSON *mo = cJSON_CreateObject(), *al = cJSON_AddArrayToObject(mo, "aliases");
		cJSON_AddStringToObject(mo, "id", m->id);
		for (size_t k = 0; k < m->naliases; k++)
			cJSON_AddItemToArray(al, cJSON_CreateString(m->aliases[k]));
		if (m->state[0])
			cJSON_AddStringToObject(mo, "state", m->state);
		else
			cJSON_AddNullToObject(mo, "state");
		cJSON_AddItemToArray(models, mo);
	}
	return o;
}

static void print_json(const struct lm_peer_report *r, size_t n, const char *model,
		       const struct lm_peer_report *route)
{
	cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "providers");
	int healthy = 0;

	for (size_t i = 0; i < n; i++) {
		cJSON_AddItemToArray(arr, report_json(&r[i]));
		healthy += r[i].healthy;
	}
	cJSON_AddNumberToObject(doc, "healthy", healthy);
	if (model)
		cJSON_AddStringToObject(doc, "model", model);
	else
		cJSON_AddNullToObject(doc, "model");
	if (route) {
		cJSON *ro = report_json(route);
		if (model)
			cJSON_AddStringToObject(ro, "model", model);
		cJSON_AddItemToObject(doc, "route", ro);
	} else {
		cJSON_AddNullToObject(doc, "route");
	}
	ui_json_print(doc);
}

static void print_text(const struct lm_ctx *ctx, const struct lm_peer_report *r, size_t n,
		       const char *model, const struct lm_peer_report *route)
{
	struct ui_table t;

	if (!n) {
		printf("peers: none (set 'peers' in %s, or give --peer URL)\n", ctx->paths.config_file);
		return;
	}
	ui_table_init(&t, 6);
	ui_table_row(&t, "NAME", "ENDPOINT", "STATE", "SLOT", "MODELS", "WHY");
	for (size_t i = 0; i < n; i++) {
		char ep[600], models[300] = "";
		snprintf(ep, sizeof(ep), "%s/v1", r[i].peer.base);
		for (size_t k = 0; k < r[i].nmodels; k++)
			snprintf(models + strlen(models), sizeof(models) - strlen(models), "%s%s%s%s%s",
				 k ? "," : "", r[i].models[k].id, r[i].models[k].state[0] ? " (" : "",
				 r[i].models[k].state, r[i].models[k].state[0] ? ")" : "");
		ui_table_row(&t, r[i].peer.name, ep, r[i].state,
			     r[i].free_slot < 0 ? "-" : r[i].free_slot ? "free" : "busy",
			     models[0] ? models : "-", r[i].reason[0] ? r[i].reason : "-");
	}
	ui_table_print(ctx, &t, stdout);
	ui_table_release(&t);
	if (model && route)
		printf("route: %s serves %s at %s/v1\n", route->peer.name, model, route->peer.base);
	else if (model)
		printf("route: no healthy provider serves %s\n", model);
}

int status_peers(struct lm_ctx *ctx, struct lm_args *args)
{
	struct lm_peer *list = NULL;
	struct lm_peer_report *rep = NULL;
	size_t n = 0;
	struct lm_err err = { 0 };
	const char *model = args_get(args, "model");
	const struct lm_peer_report *route;
	long timeout = 3;
	int rc;

	if ((rc = args_get_long(args, "timeout", 1, 60, &timeout, &err)) ||
	    (rc = gather(ctx, args, &list, &n, &err)) ||
	    (rc = peers_probe(list, n, (int)timeout * 1000, &rep, &err))) {
		free(list);
		peers_reports_free(rep, n);
		return ui_fail(ctx, &err);
	}
	peers_order(rep, n);
	route = peers_route(rep, n, model);
	if (ctx->json)
		print_json(rep, n, model, route);
	else if (!ctx->quiet)
		print_text(ctx, rep, n, model, route);
	/* 0: a provider to use; 3: healthy ones, none serving MODEL; 5: none healthy */
	rc = route ? LM_OK : peers_route(rep, n, NULL) ? LM_ENOTFOUND : LM_ENET;
	free(list);
	peers_reports_free(rep, n);
	return rc;
}

/* ---- RPC workers in status ------------------------------------------------ */

/* An RPC worker's version and devices, joining its server object. */
void status_worker_json(const struct sup_state *st, cJSON *o)
{
	cJSON *arr = cJSON_AddArrayToObject(o, "devices");
	struct sup_rpc_dev dev[16];
	size_t n = sup_rpc_devices(st->devices, dev, 16);

	cJSON_AddStringToObject(o, "rpc_version", st->rpc_version);
	cJSON_AddNumberToObject(o, "free_bytes", (double)sup_rpc_free_bytes(st->devices));
	for (size_t i = 0; i < n; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "name", dev[i].name);
		cJSON_AddStringToObject(d, "description", dev[i].desc);
		cJSON_AddNumberToObject(d, "total_bytes", (double)dev[i].total_bytes);
		cJSON_AddNumberToObject(d, "free_bytes", (double)dev[i].free_bytes);
		cJSON_AddItemToArray(arr, d);
	}
}

void status_worker_text(const struct sup_state *st)
{
	printf("  port %d: RPC worker (protocol v%s), devices: %s\n", st->port,
	       st->rpc_version[0] ? st->rpc_version : "?", st->devices[0] ? st->devices : "not told yet");
}
