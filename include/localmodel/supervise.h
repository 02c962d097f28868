/*
 * supervise: llama-server under a supervisor. Owns the per-server state
 * files in the run directory (server-<port>.state/.lock/.key/.ini, 0600 in
 * a 0700 directory), the checks that a recorded pid is still the process it
 * was (pid + start time + executable), the supervisor loop (child spawned
 * with fork+execve, killed with the supervisor through os.h, output
 * captured into a rotated log,
 * restart with backoff, give-up), a tiny blocking HTTP/1.1 client for the
 * local server (/health, /slots, /metrics, /props; loopback only, no
 * libcurl), the port check, and service unit generation.
 *
 * Nothing here prints or exits. Fixed-size fields live in the structs;
 * strings returned as `char *` are owned by the caller (free()).
 */
#ifndef LOCALMODEL_SUPERVISE_H
#define LOCALMODEL_SUPERVISE_H

#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "base.h"

/* ---- processes ---------------------------------------------------- */

/* 1 when pid is alive and still has that start time and (when exe is not
 * NULL or "") that executable; 0 otherwise (dead, or pid recycled). */
int sup_proc_matches(pid_t pid, unsigned long long start, const char *exe);
/* Send sig only if sup_proc_matches(); 0 sent, -1 not (nothing matched). */
int sup_proc_signal(pid_t pid, unsigned long long start, const char *exe, int sig);

/* ---- state files ---------------------------------------------------- */

enum sup_phase {
	SUP_STARTING,   /* the child is loading the model */
	SUP_RUNNING,    /* /health answered 200 */
	SUP_RESTARTING, /* waiting for the backoff before a restart */
	SUP_STOPPING,   /* a stop was asked for */
};

struct sup_state {
	pid_t sup_pid;
	unsigned long long sup_start;
	char sup_exe[PATH_MAX];
	pid_t child_pid;             /* 0 while none runs */
	unsigned long long child_start;
	char host[256];
	int port;
	char model[512];             /* inventory name, or the path served */
	char alias[256];             /* the name the API serves */
	char session[64];            /* sessions.id */
	char log_path[PATH_MAX];
	char key_file[PATH_MAX];     /* "" when no API key */
	char runtime[PATH_MAX];      /* llama-server binary */
	time_t started;              /* supervisor start (epoch) */
	int restarts;
	char last_restart[200];      /* why the child was last restarted, "" if never */
	long ctx_slot;               /* context tokens each slot can use (0: unknown) */
	int slots;                   /* parallel slots (0: the server's default) */
	int kv_unified;              /* the slots share one KV cache */
	int router;                  /* --all: router mode */
	int rpc_worker;              /* a ggml-rpc-server, not a llama-server */
	char rpc_version[32];        /* its RPC protocol version ("5.1.0") */
	char devices[1024];          /* its devices, "NAME: DESC (T MiB, F MiB free)" joined by "; " */
	enum sup_phase phase;
	int remove_errno;            /* a stale record that could not be removed
					(read-only run folder): why; else 0 */
	uint64_t expected;           /* memory the server grows to (the fit's
					estimate at its full context), 0 unknown */
	char keep[1024];             /* models marked to stay (comma-separated;
					a router's under both its names) */
};

const char *sup_phase_name(enum sup_phase p);

/* <run_dir>/server-<port>.<ext> into buf; -1 when it does not fit. */
int sup_file_path(char *buf, size_t size, const char *run_dir, int port, const char *ext);
int sup_state_write(const char *path, const struct sup_state *st, struct lm_err *err);
/* LM_ENOTFOUND when missing, LM_EFAIL when unreadable or malformed. */
int sup_state_read(const char *path, struct sup_state *st, struct lm_err *err);
/* Every server-*.state in run_dir, ordered by port (a missing dir is an
 * empty list). Malformed files are skipped. Free the array with free(). */
int sup_state_list(const char *run_dir, struct sup_state **out, size_t *n, struct lm_err *err);
/* 1 when the recorded supervisor is still that process. */
int sup_state_alive(const struct sup_state *st);
/* Remove the state, preset and lock files of a port (the key file is kept).
 * 0 when the state file is gone, else the errno that kept it. */
int sup_state_remove(const char *run_dir, int port);
/* Split the state files into live servers and stale records (dead or
 * recycled supervisor pid); stale ones are removed (remove_errno says why
 * one could not be), and their session (when store is not NULL) closed.
 * Free both arrays with free(). */
struct lm_store;
int sup_state_reap(const char *run_dir, struct lm_store *store, struct sup_state **live,
		   size_t *nlive, struct sup_state **stale, size_t *nstale, struct lm_err *err);
/* Take the lock of a port (flock, O_CLOEXEC): the fd, or -1 with LM_ESTATE
 * when another supervisor holds it. */
int sup_lock_port(const char *run_dir, int port, int *fd, struct lm_err *err);

/* Ask the supervisor to stop: SIGTERM carrying timeout_ms where the OS can
 * (os_signal_value), then
 * wait for it and its child to go; SIGKILL the child after timeout_ms and
 * the supervisor 2 s later. Only processes matching their records are
 * signalled. LM_ESTATE when the supervisor was not running. */
int sup_stop(const struct sup_state *st, int timeout_ms, struct lm_err *err);

/* ---- local HTTP ----------------------------------------------------- */

/* True for 127.0.0.0/8, ::1 and "localhost". */
int sup_host_is_loopback(const char *host);
/* GET path from the server at host:port (0.0.0.0 and :: mean loopback);
 * key (or NULL) goes in Authorization. *status 0 when nothing answered
 * (returns LM_ENET). body is NUL-terminated, owned by the caller. */
int sup_http_get(const char *host, int port, const char *path, const char *key,
		 int timeout_ms, int *status, char **body, struct lm_err *err);
/* POST a JSON body (router /models/unload), the answer as sup_http_get's. */
int sup_http_post(const char *host, int port, const char *path, const char *key,
		  const char *json, int timeout_ms, int *status, char **body, struct lm_err *err);
/* First key of an --api-key-file (first non-empty, non-# line), or NULL. */
char *sup_key_read(const char *path);
/* A new random key (hex) in a 0600 file at path. */
int sup_key_generate(const char *path, struct lm_err *err);

/* LM_OK when host:port can be bound; LM_ESTATE when taken, with a message
 * naming the holder when the OS tells it ("python3 (pid 1234)"). */
int sup_port_check(const char *host, int port, struct lm_err *err);

/* ---- logs ----------------------------------------------------------- */

/* path -> path.1 -> ... -> path.<keep> (the oldest dropped). */
int sup_log_rotate(const char *path, int keep, struct lm_err *err);
/* The last n lines of path (owned by the caller), "" for a missing file. */
char *sup_log_tail(const char *path, int n);

/* ---- the supervisor ----------------------------------------------- */

enum sup_event {
	SUP_EV_READY,    /* the first /health 200 (msg: NULL) */
	SUP_EV_FAILED,   /* gave up before or after ready (msg: why) */
	SUP_EV_RESTART,  /* a crash, restarting after the backoff (msg: why) */
};

struct sup_config {
	char *const *argv;      /* llama-server argv; argv[0] is the binary */
	const char *run_dir;
	const char *db_path;    /* sessions are updated here (may be NULL) */
	struct sup_state st;    /* host, port, model, alias, session, log, key, ... */
	int backoff_ms;         /* first restart delay (1000), doubled each crash */
	int max_crashes;        /* give up after this many crashes ... (5) */
	int window_s;           /* ... within this window (600) */
	uint64_t log_max;       /* rotate the log beyond this size (10 MB) */
	int log_keep;           /* rotated logs kept (3) */
	int stop_timeout_ms;    /* SIGKILL the child this long after SIGTERM (10000) */
	int health_interval_ms; /* a ready child's /health is probed this often (5000) ... */
	int health_failures;    /* ... and killed (then restarted) after this many misses (3) */
	int lock_fd;            /* held for the supervisor's life, closed at the end */
	/* router mode: the router's model names and the inventory names they
	 * stand for, in pairs (usage is recorded under the inventory name) */
	char *const *name_map;
	size_t nname_map;
	/* "NAME=value" set in the child's environment (NULL-ended, may be NULL);
	 * HF and GitHub tokens are always removed from it */
	char *const *extra_env;
	/* Each line the child prints (without the newline). */
	void (*on_line)(void *data, const char *line, size_t len);
	/* the memory guard (supervise_guard.c): the fit's expected bytes of
	 * each router model (parallel to name_map's pairs, may be NULL), the
	 * reserve, the limits from the configuration (0: the defaults, < 0:
	 * off), and how often it samples (LOCALMODEL_GUARD_INTERVAL_MS, 2000);
	 * LOCALMODEL_GUARD_SETTLE_MS and LOCALMODEL_GUARD_REARM_MS shorten its
	 * waits in tests */
	const uint64_t *model_bytes;
	uint64_t reserve;
	double swap_limit_gb;
	double pressure_limit;
	int guard_interval_ms;
	int guard_settle_ms;
	int guard_rearm_ms;
	void (*on_event)(void *data, enum sup_event ev, const char *msg);
	void *data;
	/* RPC workers: readiness comes from the child's lines (this returns 1
	 * on the last start-up line, filling st), then its port being bound;
	 * /health is never asked. pty: its output through a pseudo-terminal,
	 * so that its stdio flushes each line. */
	int (*line_ready)(struct sup_state *st, const char *line);
	int pty;
};

/* The inventory name of a model the router names router_name (itself when
 * the map does not have it). */
const char *sup_inventory_name(const struct sup_config *c, const char *router_name);
/* Fill the defaults above (and the test knobs LOCALMODEL_RESTART_BACKOFF_MS,
 * LOCALMODEL_LOG_MAX_BYTES, LOCALMODEL_HEALTH_INTERVAL_MS and
 * LOCALMODEL_HEALTH_FAILURES). */
void sup_config_init(struct sup_config *c);
/* Run the supervisor in this process until a stop is asked or it gives up
 * (`serve --foreground`, under systemd or launchd). Writes the state file,
 * appends the child's output to st.log_path, records the end in the
 * sessions table. LM_OK after a deliberate stop, LM_EFAIL when it gave up
 * (err says why). */
int sup_run_foreground(struct sup_config *c, struct lm_err *err);

/* Start the supervisor as a process of its own, detached from the caller
 * (its own session, stdin /dev/null, stdout and stderr appended to
 * st.log_path, no other descriptor but the lock): it runs sup_run_foreground(c) and
 * ends there with _exit(), never returning into the caller's code. Its
 * events go to the caller through *ready_fd, read by sup_wait_ready
 * (c->on_event is not called). In the caller: *pid and *ready_fd are set
 * and c->lock_fd is handed over (closed here). */
int sup_start_detached(struct sup_config *c, pid_t *pid, int *ready_fd, struct lm_err *err);
/* Wait up to timeout_ms for a detached supervisor's word. LM_OK once
 * llama-server answered /health; LM_EFAIL with why (the supervisor's own
 * reason, or the time-out or the interruption, after which it was
 * stopped). A non-zero *interrupted (the caller's signal handler sets it;
 * the wait returns on EINTR) stops the wait. Closes fd; reaps pid when it
 * ended. */
int sup_wait_ready(pid_t pid, int fd, long timeout_ms, const volatile sig_atomic_t *interrupted,
		   char *why, size_t size);

/* ---- RPC workers (supervise_rpc.c) ---------------------------------- */

/* Feed one line of ggml-rpc-server's start-up output: records the protocol
 * version and the devices in st; 1 on the transport line (the last before
 * it binds its port). */
int sup_rpc_line(struct sup_state *st, const char *line);
/* One device line "  NAME: DESC (T MiB, F MiB free)": 0 and the parts, or
 * -1 when line is not one. */
int sup_rpc_device(const char *line, char *name, size_t nsize, char *desc, size_t dsize,
		   uint64_t *total_mib, uint64_t *free_mib);
/* One device of a worker's list (st->devices, "; "-separated lines). */
struct sup_rpc_dev {
	char name[64];
	char desc[256];
	uint64_t total_bytes, free_bytes;
};
/* The devices in a worker's list, up to max of them: how many. */
size_t sup_rpc_devices(const char *devices, struct sup_rpc_dev *out, size_t max);
/* The free memory of every device in st->devices, in bytes (0 unknown). */
uint64_t sup_rpc_free_bytes(const char *devices);

enum sup_rpc_addr {
	SUP_RPC_LOOPBACK,  /* 127.0.0.0/8, ::1, localhost */
	SUP_RPC_PRIVATE,   /* 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 */
};
/* The address policy of an RPC worker (it has no authentication): LM_OK
 * and the kind for loopback and private addresses; LM_EUSAGE naming why
 * for the wildcards, names other than localhost, and anything public. */
int sup_rpc_addr_check(const char *host, enum sup_rpc_addr *kind, struct lm_err *err);
/* A pseudo-terminal pair (master close-on-exec, no echo, no output
 * processing); -1 with errno on failure. */
int sup_pty_open(int *master, int *slave);

/* ---- service units -------------------------------------------------- */

/* A systemd user unit running argv, with env ("NAME=value", NULL-ended). */
char *sup_unit_systemd(const char *description, char *const *argv, char *const *env);
/* A launchd plist (label e.g. "org.localmodel.serve.8080"). */
char *sup_unit_launchd(const char *label, char *const *argv, char *const *env,
		       const char *log_path);

#endif
