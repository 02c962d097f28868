/*
 * guard: the memory guard's picture of the machine and its decisions.
 *
 * guard_sample() reads what the machine's memory looks like now: total and
 * available memory and swap (through hw_probe, so under LOCALMODEL_SYSROOT
 * and the Mac fixture files like the hardware probe), plus pressure: on
 * Linux PSI's /proc/pressure/memory ("some avg10", percent of time tasks
 * stalled on memory) and the swap-in/out page counters of /proc/vmstat; on
 * a Mac kern.memorystatus_vm_pressure_level (1 normal, 2 warn, 4 critical,
 * read as pressure 0, 50 and 100), which hw_probe reads with vm.swapusage
 * from sysctl or from <sysroot>/sysctl.txt.
 *
 * Everything else here is pure and driven by the unit tests: the limits
 * and their defaults, the verdict on a sample, the hysteresis that decides
 * when to act (and when to act again), the choice of what to give up
 * (least valuable first, never a model marked to stay), which router
 * models to unload so that a new one fits, and the record of an action
 * (a small JSON file per port in the run directory, kept after the server
 * stopped). Nothing here prints or exits; no pointers to free in the
 * structs.
 */
#ifndef LOCALMODEL_GUARD_H
#define LOCALMODEL_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "base.h"

struct cJSON;

struct guard_sample {
	time_t at;
	uint64_t ram_total;   /* planning RAM (cgroup-capped) */
	uint64_t available;   /* usable now: MemAvailable within the cgroup; Mac
				 free + inactive + purgeable + speculative */
	uint64_t swap_total;
	uint64_t swap_used;
	int swap_dynamic;     /* a Mac: swap files grow on demand */
	double pressure;      /* 0..100, -1 unknown */
	uint64_t swap_in;     /* pages swapped in since boot (Linux), 0 unknown */
	uint64_t swap_out;
	int have_vmstat;
	double swap_rate;     /* bytes swapped in and out per second since the
				 previous sample (guard_swap_rate), -1 unknown */
};

/* Sample now. LM_EFAIL only when the sysroot is unusable. */
int guard_sample(struct guard_sample *s, struct lm_err *err);
/* Bytes swapped in and out per second between two samples ms apart (pages
 * of page_size bytes); -1 when either has no counters. Pure. */
double guard_swap_rate(const struct guard_sample *prev, const struct guard_sample *now,
		       int64_t ms, uint64_t page_size);
/* Parse PSI's memory file: the "some" line's avg10; -1 when absent. Pure. */
double guard_parse_psi(const char *text);
/* Parse /proc/vmstat's pswpin and pswpout; 0 when both were found. Pure. */
int guard_parse_vmstat(const char *text, uint64_t *in, uint64_t *out);
/* A Mac's kern.memorystatus_vm_pressure_level as pressure: 1 -> 0,
 * 2 -> 50, 4 -> 100, else -1. Pure. */
double guard_mac_pressure(long level);

struct guard_limits {
	uint64_t swap_warn;    /* said in the log and status */
	uint64_t swap_limit;   /* act above this much swap in use (0: never) */
	double pressure_limit; /* act above this pressure (0..100; 0: never) */
	int rearm_ms;          /* below the re-arm line this long before acting anew */
	int settle_ms;         /* after an action, wait this long before the next */
};

/* Defaults from the machine: act at 3/4 of RAM in swap and warn at 1/2 (a
 * 16 GB machine: 12 and 8 GB); a fixed-size swap (Linux) caps both at 90%
 * and 60% of it; pressure 40. swap_limit_gb and pressure_limit (config
 * keys, 0 = the default; a negative value turns that limit off) override. */
void guard_limits_default(struct guard_limits *l, const struct guard_sample *s,
			  double swap_limit_gb, double pressure_limit);

enum guard_level { GUARD_OK = 0, GUARD_WARN, GUARD_OVER };

/* How the sample stands against the limits; why says which limit, with
 * figures ("swap 12.5 GB in use, limit 12.0 GB"). */
enum guard_level guard_level(const struct guard_limits *l, const struct guard_sample *s,
			     char *why, size_t size);

/* The hysteresis. Armed: the first sample over a limit acts. After an
 * action: act again only settle_ms later, and only while still over with
 * evidence that it is getting worse (pressure over its limit, 256 MB
 * more swap than at the last action, or swapping in and out at 64 MB/s or
 * more); re-armed once swap is under 85% of
 * its limit and pressure under half of its limit for rearm_ms. */
struct guard_hyst {
	int acted;             /* an action is in force (not re-armed yet) */
	int64_t acted_ms;
	uint64_t swap_at_act;
	int64_t below_since;   /* 0: not below the re-arm line */
	int warned;            /* the warning was logged (cleared when re-armed) */
};

/* 1 when the guard should act now. Also re-arms. */
int guard_should_act(struct guard_hyst *h, const struct guard_limits *l,
		     const struct guard_sample *s, int64_t now_ms);
void guard_mark_acted(struct guard_hyst *h, const struct guard_sample *s, int64_t now_ms);

/* What could give memory back. */
enum guard_kind { GUARD_ROUTER_MODEL, GUARD_SERVER };

struct guard_cand {
	enum guard_kind kind;
	int port;
	char model[512];   /* a router model's name, or the server's model */
	int keep;          /* marked to stay: never chosen */
	int busy;          /* requests in progress */
	int sleeping;      /* a sleeping server holds no model */
	int has_keep;      /* a router holding a model marked to stay */
	int64_t last_used; /* ms (any clock, compared among router models) */
	uint64_t bytes;    /* resident or expected size */
};

enum guard_action { GUARD_NONE = 0, GUARD_UNLOADED, GUARD_SLEPT, GUARD_STOPPED };
const char *guard_action_name(enum guard_action a); /* "unloaded", "slept", "stopped" */

/* The least valuable candidate: idle router models not marked to stay,
 * least recently used first (larger first on a tie); then servers not
 * marked to stay that are not asleep and hold no kept model, idle before
 * busy, larger first. -1 when nothing may be given up. *action says what
 * to do with it. */
int guard_choose(const struct guard_cand *c, size_t n, enum guard_action *action);

/* Router models to unload so that need bytes fit in avail: idle models not
 * marked to stay (skip names `except`), least recently used first, until
 * their bytes cover the shortfall. Fills idx (room for n), returns how
 * many; *covered says whether that is enough. */
size_t guard_plan_unload(const struct guard_cand *c, size_t n, const char *except, uint64_t need,
			 uint64_t avail, size_t *idx, int *covered);

/* 1 when name is in the comma-separated list (spaces around names ignored). */
int guard_list_has(const char *list, const char *name);

/* ---- records ---------------------------------------------------------- */

struct guard_record {
	char action[16];   /* "unloaded", "slept", "stopped" */
	char reason[320];
	char at[32];       /* ISO-8601 UTC */
	time_t at_epoch;
	char model[512];
	int port;
	uint64_t swap_used;
	double pressure;
};

/* <run_dir>/guard-<port>.json, written atomically (0600). */
int guard_record_write(const char *run_dir, const struct guard_record *g, struct lm_err *err);
/* LM_ENOTFOUND when there is none. */
int guard_record_read(const char *run_dir, int port, struct guard_record *g, struct lm_err *err);
void guard_record_remove(const char *run_dir, int port);
/* Every record in run_dir (ordered by port); free with free(). */
int guard_record_list(const char *run_dir, struct guard_record **out, size_t *n);
/* {"action","reason","at","model"}; caller owns. */
struct cJSON *guard_record_json(const struct guard_record *g);

/* The "memory" object of status --json; trend_bps is swap growth in bytes
 * per second (NAN when unknown): {"total_bytes","available_bytes",
 * "swap_total_bytes","swap_used_bytes","swap_trend_bytes_per_s"(or null),
 * "swap_io_bytes_per_s"(or null),"pressure"(or null),"limits":{"swap_warn_bytes","swap_limit_bytes",
 * "pressure"}}. */
struct cJSON *guard_memory_json(const struct guard_sample *s, const struct guard_limits *l,
				double trend_bps);

/* A sample a supervisor's guard took (<run_dir>/guard-sample, every 30 s:
 * time, swap used, pages swapped in and out), so that status can tell the
 * swap trend and swap activity: 0 when read. */
int guard_sample_save(const char *run_dir, const struct guard_sample *s);
int guard_sample_load(const char *run_dir, struct guard_sample *s);

#endif
