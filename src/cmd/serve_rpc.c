/* serve --rpc-worker: llama.cpp's RPC server (ggml-rpc-server) under the
 * supervisor; and serve MODEL --rpc HOST:PORT: a llama-server that splits
 * the model over such workers. */
#include "localmodel/cmd.h"
#include "serve_unit.h"
#include "localmodel/os.h"
#include "localmodel/paths.h"
#include "localmodel/runtime.h"
#include "localmodel/supervise.h"
#include "localmodel/ui.h"

#include <cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RPC_DEFAULT_PORT 50052

/* ---- the worker ------------------------------------------------------- */

struct worker {
	struct lm_ctx *ctx;
	struct lm_args *args;
	char host[256];
	long port;
	char bin[PATH_MAX];
	char log_path[PATH_MAX];
	char **argv;
	int lock_fd;
};

/* LOCALMODEL_RPC_SERVER (tests), else the installed runtime's RPC server
 * (ggml-rpc-server, called rpc-server before b9824). */
static int find_rpc_server(struct worker *w, struct lm_err *err)
{
	const char *env = getenv("LOCALMODEL_RPC_SERVER");
	static const char *const names[] = { "ggml-rpc-server", "rpc-server", NULL };
	struct rt_info rt;

	if (env && *env) {
		if (access(env, X_OK) < 0)
			return lm_err_set(err, LM_ERUNTIME, "LOCALMODEL_RPC_SERVER '%s' is not executable: %s",
					  env, strerror(errno));
		if (!realpath(env, w->bin))
			lm_strlcpy(w->bin, env, sizeof(w->bin));
		return LM_OK;
	}
	if (rt_current(w->ctx->paths.runtime_dir, &rt, NULL))
		return lm_err_set(err, LM_ERUNTIME, "no runtime installed (run 'localmodel install')");
	/* in the runtime's folder, or beside the llama-server it links to
	 * (install --from) */
	char real[PATH_MAX], *dirs[2] = { rt.dir, NULL };
	if (realpath(rt.server, real))
		dirs[1] = dirname(real);
	for (int d = 0; d < 2 && dirs[d]; d++)
		for (int i = 0; names[i]; i++) {
			char path[PATH_MAX];
			if (paths_join(path, sizeof(path), dirs[d], names[i]) == 0 &&
			    access(path, X_OK) == 0 && realpath(path, w->bin))
				return LM_OK;
		}
	return lm_err_set(err, LM_ERUNTIME, "the installed runtime %s has no ggml-rpc-server "
			  "(reinstall it from a release archive: 'localmodel install --force')",
			  rt.name);
}

static int worker_options(struct worker *w, struct lm_err *err)
{
	enum sup_rpc_addr kind;
	int rc;

	w->port = RPC_DEFAULT_PORT;
	lm_strlcpy(w->host, args_get(w->args, "host") ? args_get(w->args, "host") : "127.0.0.1",
		   sizeof(w->host));
	if ((rc = args_get_long(w->args, "port", 1, 65535, &w->port, err)))
		return rc;
	if (w->args->npos)
		return lm_err_set(err, LM_EUSAGE, "--rpc-worker serves no MODEL: the head names it "
				  "('localmodel serve MODEL --rpc HOST:PORT')");
	static const char *const other[] = { "all", "rpc", "rpc-memory", "alias", "ctx", "parallel",
					     "api-key-file", NULL };
	for (int i = 0; other[i]; i++)
		if (args_has(w->args, other[i]))
			return lm_err_set(err, LM_EUSAGE, "--%s does not go with --rpc-worker", other[i]);
	if ((rc = sup_rpc_addr_check(w->host, &kind, err)))
		return rc;
	if (kind == SUP_RPC_PRIVATE)
		ui_warn(w->ctx, "binding the RPC worker to %s, a private address: ANYONE who can reach "
			"it can use this machine's memory and run code through llama.cpp's RPC protocol, "
			"which has no authentication; only do this on a network you trust (a home LAN, a "
			"Tailscale tailnet) and firewall port %ld to the head machine", w->host, w->port);
	return LM_OK;
}

/* Files, the port and its lock (like a llama-server's, keyed by port). */
static int worker_files(struct worker *w, struct lm_err *err)
{
	char path[PATH_MAX];
	struct sup_state st;
	struct lm_err ignored = { 0 };
	const struct lm_paths *p = &w->ctx->paths;
	int rc;

	if ((rc = paths_ensure_dir(p->run_dir, err)) || (rc = paths_ensure_dir(p->log_dir, err)))
		return rc;
	if (snprintf(w->log_path, sizeof(w->log_path), "%s/rpc-worker-%ld.log", p->log_dir,
		     w->port) >= (int)sizeof(w->log_path))
		return lm_err_set(err, LM_EFAIL, "log directory path too long");
	if (sup_file_path(path, sizeof(path), p->run_dir, (int)w->port, "state") == 0 &&
	    sup_state_read(path, &st, &ignored) == LM_OK) {
		if (sup_state_alive(&st))
			return lm_err_set(err, LM_ESTATE, "port %d is already used by '%s' (supervisor pid "
					  "%d); stop it with 'localmodel stop --port %d'",
					  st.port, st.model, (int)st.sup_pid, st.port);
		sup_state_remove(p->run_dir, st.port);
	}
	if ((rc = sup_lock_port(p->run_dir, (int)w->port, &w->lock_fd, err)))
		return rc;
	return sup_port_check(w->host, (int)w->port, err);
}

static void worker_argv(struct worker *w)
{
	int n = 0;

	w->argv = lm_xcalloc((size_t)w->args->nextra + 8, sizeof(char *));
	w->argv[n++] = lm_xstrdup(w->bin);
	w->argv[n++] = lm_xstrdup("-H");
	w->argv[n++] = lm_xstrdup(w->host);
	w->argv[n++] = lm_xstrdup("-p");
	w->argv[n++] = lm_asprintf("%ld", w->port);
	w->argv[n++] = lm_xstrdup("-c"); /* tensor cache: a restart loads from disk */
	for (int i = 0; i < w->args->nextra; i++)
		w->argv[n++] = lm_xstrdup(w->args->extra[i]);
}

static void worker_config(struct worker *w, struct sup_config *c)
{
	sup_config_init(c);
	c->argv = w->argv;
	c->run_dir = w->ctx->paths.run_dir;
	lm_strlcpy(c->st.host, w->host, sizeof(c->st.host));
	c->st.port = (int)w->port;
	lm_strlcpy(c->st.model, "rpc-worker", sizeof(c->st.model));
	lm_strlcpy(c->st.log_path, w->log_path, sizeof(c->st.log_path));
	lm_strlcpy(c->st.runtime, w->bin, sizeof(c->st.runtime));
	c->st.rpc_worker = 1;
	c->line_ready = sup_rpc_line;
	c->pty = 1;
	c->lock_fd = w->lock_fd;
	w->lock_fd = -1;
}

static void worker_ready(struct worker *w, pid_t pid)
{
	char path[PATH_MAX], free_s[32];
	struct sup_state st;
	struct lm_err ignored = { 0 };

	memset(&st, 0, sizeof(st));
	if (sup_file_path(path, sizeof(path), w->ctx->paths.run_dir, (int)w->port, "state") == 0)
		sup_state_read(path, &st, &ignored);
	if (w->ctx->json) {
		cJSON *doc = cJSON_CreateObject();
		char ep[300];
		snprintf(ep, sizeof(ep), "%s%s%s:%ld", strchr(w->host, ':') ? "[" : "", w->host,
			 strchr(w->host, ':') ? "]" : "", w->port);
		cJSON_AddStringToObject(doc, "rpc", ep);
		cJSON_AddStringToObject(doc, "host", w->host);
		cJSON_AddNumberToObject(doc, "port", (double)w->port);
		cJSON_AddNumberToObject(doc, "pid", (double)pid);
		cJSON_AddStringToObject(doc, "log", w->log_path);
		cJSON_AddStringToObject(doc, "runtime", w->bin);
		status_worker_json(&st, doc);
		ui_json_print(doc);
		return;
	}
	if (w->ctx->quiet)
		return;
	lm_format_size(sup_rpc_free_bytes(st.devices), free_s, sizeof(free_s));
	printf("RPC worker at %s:%ld (protocol v%s), %s free\n", w->host, w->port,
	       st.rpc_version[0] ? st.rpc_version : "?", free_s);
	printf("devices: %s\n", st.devices[0] ? st.devices : "?");
	printf("log:     %s\n", w->log_path);
	printf("use it:  localmodel serve MODEL --rpc %s:%ld (on the head machine)\n", w->host,
	       w->port);
	fflush(stdout);
}

static void worker_event(void *data, enum sup_event ev, const char *msg)
{
	struct worker *w = data;

	if (ev == SUP_EV_READY)
		worker_ready(w, getpid());
	else if (ev == SUP_EV_RESTART)
		ui_warn(w->ctx, "the RPC server %s; restarting", msg);
}

static int worker_run(struct worker *w, struct sup_config *c)
{
	struct lm_err err = { 0 };
	char why[600];
	long timeout = 60;
	pid_t pid;
	int fd, rc;

	if (args_has(w->args, "foreground")) {
		c->on_event = worker_event;
		c->data = w;
		if ((rc = sup_run_foreground(c, &err)))
			ui_error(w->ctx, "%s (log: %s)", err.msg, w->log_path);
		return rc;
	}
	if ((rc = args_get_long(w->args, "timeout", 1, 86400, &timeout, &err)) ||
	    (rc = sup_start_detached(c, &pid, &fd, &err)))
		return ui_fail(w->ctx, &err);
	rc = cmd_wait_supervisor(pid, fd, timeout, why, sizeof(why));
	if (rc == LM_OK) {
		worker_ready(w, pid);
		return LM_OK;
	}
	cmd_fail_with_log(w->ctx, why, w->log_path, 15);
	return rc;
}

/* Environment a worker's unit keeps (never tokens). */
static const char *const unit_env[] = {
	"LOCALMODEL_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
	"LLAMA_CACHE", "LOCALMODEL_RPC_SERVER", "LD_LIBRARY_PATH", "PATH", "CUDA_VISIBLE_DEVICES",
	"HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "GGML_VK_VISIBLE_DEVICES", NULL,
};

/* --print-service: a unit running the worker's supervisor in the
 * foreground with the same address, port and RPC server arguments. */
static int worker_service(struct worker *w, const char *kind)
{
	char desc[300], name[64], label[64];
	char **argv = NULL, **env = NULL;
	int na = 0, ne = 0, rc;

	if ((rc = unit_begin(w->ctx, kind, unit_env, &argv, &na, &env, &ne)))
		return rc;
	unit_list_add(&argv, &na, lm_xstrdup("--rpc-worker"));
	unit_list_add(&argv, &na, lm_xstrdup("--foreground"));
	unit_list_add(&argv, &na, lm_xstrdup("--host"));
	unit_list_add(&argv, &na, lm_xstrdup(w->host));
	unit_list_add(&argv, &na, lm_xstrdup("--port"));
	unit_list_add(&argv, &na, lm_asprintf("%ld", w->port));
	if (w->args->nextra)
		unit_list_add(&argv, &na, lm_xstrdup("--"));
	for (int i = 0; i < w->args->nextra; i++)
		unit_list_add(&argv, &na, lm_xstrdup(w->args->extra[i]));
	snprintf(desc, sizeof(desc), "localmodel: RPC worker on %s:%ld", w->host, w->port);
	snprintf(name, sizeof(name), "localmodel-rpc-worker-%ld", w->port);
	snprintf(label, sizeof(label), "org.localmodel.rpc-worker.%ld", w->port);
	unit_print(w->ctx, kind, desc, name, label, argv, env);
	return LM_OK;
}

int serve_rpc_worker(struct lm_ctx *ctx, struct lm_args *args)
{
	struct worker w;
	struct sup_config c;
	struct lm_err err = { 0 };
	int rc;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	w.args = args;
	w.lock_fd = -1;
	if (args_get(args, "print-service")) {
		rc = worker_options(&w, &err) ? ui_fail(ctx, &err)
					       : worker_service(&w, args_get(args, "print-service"));
		goto out;
	}
	if ((rc = worker_options(&w, &err)) || (rc = find_rpc_server(&w, &err)) ||
	    (rc = worker_files(&w, &err))) {
		rc = ui_fail(ctx, &err);
		goto out;
	}
	worker_argv(&w);
	worker_config(&w, &c);
	rc = worker_run(&w, &c);
out:
	if (w.lock_fd >= 0)
		close(w.lock_fd);
	rt_argv_free(w.argv);
	return rc;
}

/* ---- the head: serve MODEL --rpc HOST:PORT[,...] ---------------------- */

#define RPC_MAX 16

struct head {
	int n;
	char addr[RPC_MAX][300];   /* "HOST:PORT" as given */
	char host[RPC_MAX][256];
	int port[RPC_MAX];
	uint64_t mem[RPC_MAX];     /* 0: unknown */
	struct sup_state st[RPC_MAX]; /* a worker this machine supervises */
	int local[RPC_MAX];
};

/* "HOST:PORT" or "[V6]:PORT". */
static int split_addr(const char *a, char *host, size_t size, int *port)
{
	const char *colon = strrchr(a, ':');
	long p;

	if (!colon || colon == a || lm_parse_long(colon + 1, 1, 65535, &p) < 0)
		return -1;
	if (a[0] == '[' && colon[-1] == ']')
		snprintf(host, size, "%.*s", (int)(colon - a - 2), a + 1);
	else if (memchr(a, ':', (size_t)(colon - a)))
		return -1; /* a bare IPv6 address needs brackets */
	else
		snprintf(host, size, "%.*s", (int)(colon - a), a);
	*port = (int)p;
	return host[0] ? 0 : -1;
}

/* The worker of this machine at host:port, if there is one running. */
static int find_local_worker(struct lm_ctx *ctx, const char *host, int port, struct sup_state *out)
{
	char path[PATH_MAX];
	struct lm_err ignored = { 0 };

	if (sup_file_path(path, sizeof(path), ctx->paths.run_dir, port, "state") ||
	    sup_state_read(path, out, &ignored) || !out->rpc_worker || !sup_state_alive(out))
		return 0;
	return !strcmp(out->host, host) || (sup_host_is_loopback(out->host) &&
					     sup_host_is_loopback(host));
}

static int head_parse(struct lm_ctx *ctx, struct lm_args *args, struct head *h, struct lm_err *err)
{
	char *list = lm_xstrdup(args_get(args, "rpc")), *save = NULL, *tok;
	const char *mem = args_get(args, "rpc-memory");
	int rc = LM_OK, nmem = 0;

	memset(h, 0, sizeof(*h));
	for (tok = strtok_r(list, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		if (h->n == RPC_MAX)
			rc = lm_err_set(err, LM_EUSAGE, "at most %d RPC workers", RPC_MAX);
		else if (split_addr(tok, h->host[h->n], sizeof(h->host[0]), &h->port[h->n]))
			rc = lm_err_set(err, LM_EUSAGE, "bad value for '--rpc': '%s' (want HOST:PORT)", tok);
		else
			lm_strlcpy(h->addr[h->n++], tok, sizeof(h->addr[0]));
	}
	free(list);
	if (!rc && !h->n)
		rc = lm_err_set(err, LM_EUSAGE, "--rpc wants HOST:PORT[,HOST:PORT...]");
	if (!rc && mem) {
		list = lm_xstrdup(mem);
		save = NULL;
		for (tok = strtok_r(list, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
			if (nmem >= h->n || lm_parse_size(tok, &h->mem[nmem++]) < 0 || !h->mem[nmem - 1])
				rc = lm_err_set(err, LM_EUSAGE, "bad value for '--rpc-memory': '%s' (want "
						"one SIZE per --rpc worker, e.g. 40G,20G)", mem);
		free(list);
		if (!rc && nmem != h->n)
			rc = lm_err_set(err, LM_EUSAGE, "--rpc-memory gives %d sizes for %d workers", nmem,
					h->n);
	}
	for (int i = 0; i < h->n && !rc; i++) {
		h->local[i] = find_local_worker(ctx, h->host[i], h->port[i], &h->st[i]);
		if (!h->mem[i] && h->local[i])
			h->mem[i] = sup_rpc_free_bytes(h->st[i].devices);
	}
	return rc;
}

/* 0 when something accepts a TCP connection at host:port within
 * timeout_ms (closed at once: the RPC server drops a client that says
 * nothing); else -1 with errno. */
static int reach(const char *host, int port, int timeout_ms)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[16];
	int ok = -1, e = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(host, ps, &hints, &res))
		return errno = EHOSTUNREACH, -1;
	for (ai = res; ai && ok < 0; ai = ai->ai_next) {
		int fd = os_socket(ai->ai_family, ai->ai_socktype, 1), soerr = 0;
		socklen_t sl = sizeof(soerr);
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			ok = 0;
		else if (errno != EINPROGRESS)
			e = errno;
		else if (poll(&p, 1, timeout_ms) != 1)
			e = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
			ok = 0;
		else
			e = soerr ? soerr : errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (ok < 0)
		errno = e;
	return ok;
}

/* The fit counts the workers' memory: on the GPU side when this machine
 * has a GPU (and with the RAM too when that is unified memory), else with
 * the RAM (llama.cpp puts offloaded layers on the workers, which are
 * devices to it). */
int serve_rpc_fit(struct lm_ctx *ctx, struct lm_args *args, struct lm_err *err)
{
	struct head h;
	struct lm_machine *m;
	uint64_t sum = 0;
	int rc;

	if (!args_get(args, "rpc"))
		return LM_OK;
	if ((rc = head_parse(ctx, args, &h, err)))
		return rc;
	/* llama-server carries on without a worker it cannot reach (it logs
	 * "Failed to connect to H:P" and keeps every layer here) */
	for (int i = 0; i < h.n; i++)
		if (reach(h.host[i], h.port[i], 2000) < 0)
			return lm_err_set(err, LM_ENET, "cannot reach the RPC worker %s: %s (start it "
					  "there with 'localmodel serve --rpc-worker --host ADDR --port "
					  "%d')", h.addr[i], strerror(errno), h.port[i]);
	for (int i = 0; i < h.n; i++) {
		if (h.mem[i])
			sum += h.mem[i];
		else
			ui_warn(ctx, "the memory of the RPC worker %s is unknown: the fit does not count "
				"it (give --rpc-memory SIZE)", h.addr[i]);
	}
	m = (struct lm_machine *)ctx_machine(ctx); /* this command's own copy */
	if (!m->ok)
		return LM_OK;
	/* a worker is one more device: GPU memory to the fit, and on a Mac
	 * (unified) also memory beyond this machine's RAM */
	if (m->now.gpu_bytes)
		m->now.gpu_bytes += sum;
	if (!m->now.gpu_bytes || m->now.unified)
		m->now.ram_bytes += sum;
	return LM_OK;
}

/* The build of the llama.cpp folder a binary is in: what the llama-server
 * beside it says (--version); 0 when unknown. */
static long build_of(const char *bin)
{
	char copy[PATH_MAX], server[PATH_MAX];
	long build = 0;

	lm_strlcpy(copy, bin, sizeof(copy));
	if (paths_join(server, sizeof(server), dirname(copy), "llama-server") < 0 ||
	    access(server, X_OK) < 0 ||
	    rt_version(server, &build, NULL, 0, NULL, 0, NULL) != LM_OK)
		return 0;
	return build;
}

static void list_append(char ***argv, const char *a, const char *b)
{
	int n = 0;

	while ((*argv)[n])
		n++;
	*argv = lm_xrealloc(*argv, (size_t)(n + 3) * sizeof(char *));
	(*argv)[n++] = lm_xstrdup(a);
	(*argv)[n++] = lm_xstrdup(b);
	(*argv)[n] = NULL;
}

/* -ngl: every layer on the devices (the workers, and a local GPU), which
 * llama.cpp splits by -ts or by their free memory. */
static void all_layers(char **argv)
{
	for (int i = 0; argv[i] && argv[i + 1]; i++)
		if (!strcmp(argv[i], "-ngl") || !strcmp(argv[i], "--n-gpu-layers") ||
		    !strcmp(argv[i], "--gpu-layers")) {
			free(argv[i + 1]);
			argv[i + 1] = lm_xstrdup("999");
		}
}

/* Checks, warnings and llama-server's flags for --rpc: --rpc, -ts from the
 * stated memory, every layer offloaded unless --gpu-layers says. */
int serve_rpc_head(struct lm_ctx *ctx, struct lm_args *args, const struct rt_caps *caps,
		   const char *llama, char ***argv, struct lm_err *err)
{
	struct head h;
	char tag[64] = "", ts[512] = "";
	long build = 0;
	const struct lm_machine *m = ctx_machine(ctx);
	int rc, remote = 0, all_mem = 1;

	if (!args_get(args, "rpc"))
		return LM_OK;
	if (args_has(args, "all"))
		return lm_err_set(err, LM_EUSAGE, "--rpc serves one model: not with --all");
	if ((rc = head_parse(ctx, args, &h, err)))
		return rc;
	if (caps && caps->flags && !rt_caps_has(caps, "--rpc"))
		return lm_err_set(err, LM_ERUNTIME, "this llama-server has no --rpc (a build without "
				  "GGML_RPC): install a release build");
	if (rt_version(llama, &build, NULL, 0, NULL, 0, NULL) == LM_OK && build > 0)
		snprintf(tag, sizeof(tag), "b%ld", build);
	for (int i = 0; i < h.n; i++) {
		long wbuild;
		remote |= !sup_host_is_loopback(h.host[i]);
		all_mem &= h.mem[i] != 0;
		if (!h.local[i] || !build || !(wbuild = build_of(h.st[i].runtime)) || wbuild == build)
			continue;
		return lm_err_set(err, LM_ERUNTIME, "the RPC worker %s runs build b%ld and this "
				  "llama-server build b%ld: both must be the same build (restart the "
				  "worker with this runtime: 'localmodel stop --port %d', then "
				  "'localmodel serve --rpc-worker --port %d')", h.addr[i], wbuild, build,
				  h.port[i], h.port[i]);
	}
	ui_warn(ctx, "every token waits on %s: each of the %d RPC worker%s is a round trip per "
		"token, so generation is slower than the prediction for one machine (a few ms a token "
		"on wired gigabit, much more on Wi-Fi)", remote ? "the network" : "the RPC protocol",
		h.n, h.n == 1 ? "" : "s");
	ui_info(ctx, "the workers must run the same llama.cpp build as this llama-server%s%s%s "
		"(llama-server refuses another RPC protocol version: 'RPC server version mismatch')",
		tag[0] ? " (" : "", tag, tag[0] ? ")" : "");
	list_append(argv, "--rpc", args_get(args, "rpc"));
	if (all_mem && args_get(args, "rpc-memory")) {
		/* RPC devices come first in llama.cpp's device list, then the local
		 * GPUs (what serve_rpc_fit added to gpu_bytes is the workers') */
		uint64_t sum = 0, local = 0;
		for (int i = 0; i < h.n; i++) {
			sum += h.mem[i];
			snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), "%s%llu", i ? "," : "",
				 (unsigned long long)(h.mem[i] >> 20));
		}
		if (m->ok && m->now.gpu_bytes > sum)
			local = m->now.gpu_bytes - sum;
		for (int g = 0, ng = m->ok && m->now.ngpus > 1 ? m->now.ngpus : 1; local && g < ng; g++)
			snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ",%llu",
				 (unsigned long long)((local / (uint64_t)ng) >> 20));
		list_append(argv, "-ts", ts);
	}
	if (!args_get(args, "gpu-layers"))
		all_layers(*argv);
	if (m->ok && !m->now.gpu_bytes)
		ui_info(ctx, "this machine has no GPU: llama.cpp puts every offloaded layer on the "
			"workers (--gpu-layers N keeps the rest here)");
	return LM_OK;
}
