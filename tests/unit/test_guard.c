/* test_guard: the memory guard's sample (described Linux machines and
 * Macs), its limits, hysteresis, choices and records. */
#include "localmodel/guard.h"
#include "t.h"

#include <cJSON.h>
#include <errno.h>
#include <sys/stat.h>

#define GiB (1ull << 30)
#define MiB (1ull << 20)

static void put(const char *dir, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void mkdirs(const char *base, const char *sub)
{
	char path[1024];

	mkdir(base, 0700);
	snprintf(path, sizeof(path), "%s/%s", base, sub);
	for (char *p = path + strlen(base) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
	mkdir(path, 0700);
}

static void test_parsers(void)
{
	uint64_t in, out;

	CHECK(guard_parse_psi("some avg10=12.50 avg60=3.00 avg300=1.00 total=5\n"
			      "full avg10=2.00 avg60=0.00 avg300=0.00 total=1\n") == 12.5);
	CHECK(guard_parse_psi("full avg10=2.00 avg60=0.00\n") == -1);
	CHECK(guard_parse_psi("") == -1);
	CHECK_INT(guard_parse_vmstat("nr_free_pages 5\npswpin 123\npswpout 456\n", &in, &out), 0);
	CHECK_INT(in, 123);
	CHECK_INT(out, 456);
	CHECK_INT(guard_parse_vmstat("pswpin 1\n", &in, &out), -1);
	CHECK(guard_mac_pressure(1) == 0);
	CHECK(guard_mac_pressure(2) == 50);
	CHECK(guard_mac_pressure(4) == 100);
	CHECK(guard_mac_pressure(3) == -1);
}

/* A described Linux machine: 16 GB, 9 GB of 16 GB swap used, PSI 55. */
static void test_sample_linux(void)
{
	char dir[1024];
	struct guard_sample s;
	struct lm_err err = { 0 };

	snprintf(dir, sizeof(dir), "%s/linux", t_tmpdir());
	mkdirs(dir, "proc/pressure");
	put(dir, "proc/meminfo", "MemTotal:       16777216 kB\nMemFree:  100000 kB\n"
				 "MemAvailable:    2097152 kB\nSwapTotal:      16777216 kB\n"
				 "SwapFree:        7340032 kB\n");
	put(dir, "proc/pressure/memory", "some avg10=55.00 avg60=20.00 avg300=5.00 total=9\n");
	put(dir, "proc/vmstat", "pswpin 1000\npswpout 2000\n");
	setenv("LOCALMODEL_SYSROOT", dir, 1);
	CHECK_INT(guard_sample(&s, &err), LM_OK);
	CHECK_INT(s.ram_total, 16 * GiB);
	CHECK_INT(s.available, 2 * GiB);
	CHECK_INT(s.swap_used, 9 * GiB);
	CHECK(s.pressure == 55);
	CHECK_INT(s.swap_in, 1000);
	CHECK_INT(s.swap_out, 2000);
	CHECK_INT(s.swap_dynamic, 0);
	/* no PSI (an old kernel): pressure unknown */
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/proc/pressure/memory");
	unlink(dir);
	CHECK_INT(guard_sample(&s, &err), LM_OK);
	CHECK(s.pressure == -1);
}

/* A described Mac: the pressure level and vm.swapusage. */
static void test_sample_mac(void)
{
	char dir[1024];
	struct guard_sample s;
	struct lm_err err = { 0 };

	snprintf(dir, sizeof(dir), "%s/mac", t_tmpdir());
	mkdirs(dir, ".");
	put(dir, "sysctl.txt", "hw.machine: arm64\nmachdep.cpu.brand_string: Apple M2\n"
			       "hw.memsize: 17179869184\nvm.memory_available_bytes: 1073741824\n"
			       "vm.swapusage: total = 14336.00M  used = 13312.00M  free = 1024.00M  (encrypted)\n"
			       "kern.memorystatus_vm_pressure_level: 4\n");
	setenv("LOCALMODEL_SYSROOT", dir, 1);
	CHECK_INT(guard_sample(&s, &err), LM_OK);
	CHECK_INT(s.ram_total, 16 * GiB);
	CHECK_INT(s.available, 1 * GiB);
	CHECK_INT(s.swap_used, 13 * GiB);
	CHECK_INT(s.swap_dynamic, 1);
	CHECK(s.pressure == 100);
	unsetenv("LOCALMODEL_SYSROOT");
}

static void test_swap_rate(void)
{
	struct guard_sample a = { 0 }, b = { 0 };

	a.have_vmstat = b.have_vmstat = 1;
	a.swap_in = 1000;
	a.swap_out = 5000;
	b.swap_in = 1000 + 2048;
	b.swap_out = 5000 + 2048;
	/* 4096 pages of 4 KiB in 2 s: 8 MiB/s */
	CHECK(guard_swap_rate(&a, &b, 2000, 4096) == 8.0 * MiB);
	b.have_vmstat = 0;
	CHECK(guard_swap_rate(&a, &b, 2000, 4096) == -1);
	b.have_vmstat = 1;
	b.swap_in = 10; /* counters reset (a reboot between samples) */
	CHECK(guard_swap_rate(&a, &b, 2000, 4096) == -1);
}

static void test_limits(void)
{
	struct guard_sample s = { 0 };
	struct guard_limits l;
	char why[160];

	/* the user's report: a 16 GB Mac warns at 8 GB and acts at 12 GB of swap */
	s.ram_total = 16 * GiB;
	s.swap_dynamic = 1;
	s.swap_total = 2 * GiB;
	s.pressure = -1;
	guard_limits_default(&l, &s, 0, 0);
	CHECK_INT(l.swap_limit, 12 * GiB);
	CHECK_INT(l.swap_warn, 8 * GiB);
	CHECK(l.pressure_limit == 40);
	/* a fixed 2 GB swap (Linux) caps them at 90% and 60% of it */
	s.swap_dynamic = 0;
	guard_limits_default(&l, &s, 0, 0);
	CHECK_INT(l.swap_limit, 2 * GiB / 10 * 9);
	CHECK_INT(l.swap_warn, 2 * GiB / 10 * 6);
	/* 64 GB with 64 GB of swap: 48 and 32 */
	s.ram_total = s.swap_total = 64 * GiB;
	guard_limits_default(&l, &s, 0, 0);
	CHECK_INT(l.swap_limit, 48 * GiB);
	CHECK_INT(l.swap_warn, 32 * GiB);
	/* configured, and off */
	guard_limits_default(&l, &s, 6, 25);
	CHECK_INT(l.swap_limit, 6 * GiB);
	CHECK_INT(l.swap_warn, 4 * GiB);
	CHECK(l.pressure_limit == 25);
	guard_limits_default(&l, &s, -1, -1);
	CHECK_INT(l.swap_limit, 0);
	CHECK(l.pressure_limit == 0);
	s.swap_used = 60 * GiB;
	s.pressure = 99;
	CHECK_INT(guard_level(&l, &s, why, sizeof(why)), GUARD_OK);
	/* the verdicts */
	guard_limits_default(&l, &s, 12, 40);
	s.swap_used = 13 * GiB;
	s.pressure = 0;
	CHECK_INT(guard_level(&l, &s, why, sizeof(why)), GUARD_OVER);
	CHECK(strstr(why, "swap 13.0 GB in use, limit 12.0 GB") != NULL);
	s.swap_used = 9 * GiB;
	CHECK_INT(guard_level(&l, &s, why, sizeof(why)), GUARD_WARN);
	s.pressure = 45;
	CHECK_INT(guard_level(&l, &s, why, sizeof(why)), GUARD_OVER);
	CHECK(strstr(why, "memory pressure 45%, limit 40%") != NULL);
	s.swap_used = 1 * GiB;
	s.pressure = 10;
	CHECK_INT(guard_level(&l, &s, why, sizeof(why)), GUARD_OK);
}

/* Act above the limit; not again until it gets worse after settle_ms;
 * re-armed only after rearm_ms clearly below. */
static void test_hysteresis(void)
{
	struct guard_sample s = { 0 };
	struct guard_limits l;
	struct guard_hyst h = { 0 };
	int64_t t = 1000000;

	s.ram_total = 16 * GiB;
	s.swap_dynamic = 1;
	guard_limits_default(&l, &s, 12, 40);
	l.settle_ms = 10000;
	l.rearm_ms = 60000;
	s.swap_used = 11 * GiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t), 0);
	s.swap_used = 12 * GiB + 1;
	CHECK_INT(guard_should_act(&h, &l, &s, t), 1);
	guard_mark_acted(&h, &s, t);
	/* still over, no worse: no second action, however long */
	CHECK_INT(guard_should_act(&h, &l, &s, t + 2000), 0);
	CHECK_INT(guard_should_act(&h, &l, &s, t + 120000), 0);
	/* worse (256 MB more swap) but within the settle time: wait */
	s.swap_used += 300 * MiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 5000), 0);
	CHECK_INT(guard_should_act(&h, &l, &s, t + 121000), 1);
	guard_mark_acted(&h, &s, t + 121000);
	t += 121000;
	/* swapping in and out at 64 MB/s or more is evidence too */
	s.swap_rate = 70.0 * MiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 11000), 1);
	s.swap_rate = 10.0 * MiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 11000), 0);
	s.swap_rate = -1;
	/* pressure over its limit is evidence too */
	s.pressure = 50;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 11000), 1);
	guard_mark_acted(&h, &s, t + 11000);
	t += 11000;
	/* just under the limit is not clearly below: no re-arm */
	s.pressure = 0;
	s.swap_used = 11 * GiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 100000), 0);
	CHECK_INT(h.acted, 1);
	/* clearly below (< 85% of 12 GB), but not for long enough */
	s.swap_used = 10 * GiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 200000), 0);
	CHECK_INT(guard_should_act(&h, &l, &s, t + 230000), 0);
	CHECK_INT(h.acted, 1);
	/* a blip above the re-arm line restarts the wait */
	s.swap_used = 11 * GiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 240000), 0);
	s.swap_used = 10 * GiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 250000), 0);
	CHECK_INT(guard_should_act(&h, &l, &s, t + 300000), 0);
	CHECK_INT(h.acted, 1);
	CHECK_INT(guard_should_act(&h, &l, &s, t + 310000), 0);
	CHECK_INT(h.acted, 0);
	/* re-armed: the next crossing acts at once */
	s.swap_used = 13 * GiB;
	CHECK_INT(guard_should_act(&h, &l, &s, t + 311000), 1);
}

static struct guard_cand cand(enum guard_kind k, const char *model, int keep, int busy,
			      int64_t used, uint64_t bytes)
{
	struct guard_cand c;

	memset(&c, 0, sizeof(c));
	c.kind = k;
	lm_strlcpy(c.model, model, sizeof(c.model));
	c.keep = keep;
	c.busy = busy;
	c.last_used = used;
	c.bytes = bytes;
	return c;
}

static void test_choose(void)
{
	struct guard_cand c[6];
	enum guard_action a;

	c[0] = cand(GUARD_SERVER, "big", 0, 0, 0, 9 * GiB);
	c[1] = cand(GUARD_ROUTER_MODEL, "a", 0, 0, 300, 2 * GiB);
	c[2] = cand(GUARD_ROUTER_MODEL, "b", 0, 0, 100, 1 * GiB);
	c[3] = cand(GUARD_ROUTER_MODEL, "c", 1, 0, 50, 4 * GiB);  /* kept */
	c[4] = cand(GUARD_ROUTER_MODEL, "d", 0, 1, 10, 4 * GiB);  /* busy */
	c[5] = cand(GUARD_SERVER, "router", 0, 0, 0, 1 * GiB);
	c[5].has_keep = 1;
	/* idle router models first, least recently used */
	CHECK_INT(guard_choose(c, 6, &a), 2);
	CHECK_INT(a, GUARD_UNLOADED);
	CHECK_STR(guard_action_name(a), "unloaded");
	c[2].busy = 1;
	CHECK_INT(guard_choose(c, 6, &a), 1);
	c[1].busy = 1;
	/* then a server; never the router holding a kept model */
	CHECK_INT(guard_choose(c, 6, &a), 0);
	CHECK_INT(a, GUARD_STOPPED);
	/* a server marked to stay, or asleep, is never stopped */
	c[0].keep = 1;
	CHECK_INT(guard_choose(c, 6, &a), -1);
	CHECK_INT(a, GUARD_NONE);
	c[0].keep = 0;
	c[0].sleeping = 1;
	CHECK_INT(guard_choose(c, 6, &a), -1);
	/* idle servers before busy ones, larger first */
	struct guard_cand s[3] = { cand(GUARD_SERVER, "x", 0, 1, 0, 9 * GiB),
				   cand(GUARD_SERVER, "y", 0, 0, 0, 2 * GiB),
				   cand(GUARD_SERVER, "z", 0, 0, 0, 5 * GiB) };
	CHECK_INT(guard_choose(s, 3, &a), 2);
	s[2].busy = 1;
	CHECK_INT(guard_choose(s, 3, &a), 1);
	s[1].busy = 1;
	CHECK_INT(guard_choose(s, 3, &a), 0);
}

static void test_plan_unload(void)
{
	struct guard_cand c[4];
	size_t idx[4];
	int covered;

	c[0] = cand(GUARD_ROUTER_MODEL, "old", 0, 0, 100, 3 * GiB);
	c[1] = cand(GUARD_ROUTER_MODEL, "kept", 1, 0, 50, 8 * GiB);
	c[2] = cand(GUARD_ROUTER_MODEL, "mid", 0, 0, 200, 2 * GiB);
	c[3] = cand(GUARD_ROUTER_MODEL, "new", 0, 0, 10, 6 * GiB);
	/* fits already: nothing */
	CHECK_INT(guard_plan_unload(c, 4, "new", 4 * GiB, 5 * GiB, idx, &covered), 0);
	CHECK_INT(covered, 1);
	/* 2 GB short: the least recently used one, never the new one nor a kept one */
	CHECK_INT(guard_plan_unload(c, 4, "new", 6 * GiB, 4 * GiB, idx, &covered), 1);
	CHECK_INT(idx[0], 0);
	CHECK_INT(covered, 1);
	/* 4 GB short: two */
	CHECK_INT(guard_plan_unload(c, 4, "new", 6 * GiB, 2 * GiB, idx, &covered), 2);
	CHECK_INT(idx[0], 0);
	CHECK_INT(idx[1], 2);
	CHECK_INT(covered, 1);
	/* more than can be freed: all that may go, and not covered */
	CHECK_INT(guard_plan_unload(c, 4, "new", 20 * GiB, 1 * GiB, idx, &covered), 2);
	CHECK_INT(covered, 0);
}

static void test_list(void)
{
	CHECK(guard_list_has("a, org/b:Q4_K_M ,c", "org/b:Q4_K_M"));
	CHECK(guard_list_has("a", "a"));
	CHECK(!guard_list_has("ab,c", "a"));
	CHECK(!guard_list_has("", "a"));
	CHECK(!guard_list_has(NULL, "a"));
	CHECK(!guard_list_has("a", ""));
}

static void test_records(void)
{
	char dir[1024];
	struct guard_record g, r, *all = NULL;
	struct lm_err err = { 0 };
	size_t n = 0;

	snprintf(dir, sizeof(dir), "%s/run", t_tmpdir());
	mkdir(dir, 0700);
	CHECK_INT(guard_record_read(dir, 8080, &r, &err), LM_ENOTFOUND);
	memset(&g, 0, sizeof(g));
	strcpy(g.action, "stopped");
	strcpy(g.reason, "swap 13.0 GB in use, limit 12.0 GB");
	strcpy(g.at, "2026-11-27T10:00:00Z");
	strcpy(g.model, "org/big:Q4_K_M");
	g.port = 8081;
	g.at_epoch = 1795000000;
	g.swap_used = 13 * GiB;
	g.pressure = 12;
	CHECK_INT(guard_record_write(dir, &g, &err), LM_OK);
	g.port = 8080;
	strcpy(g.action, "unloaded");
	CHECK_INT(guard_record_write(dir, &g, &err), LM_OK);
	CHECK_INT(guard_record_read(dir, 8081, &r, &err), LM_OK);
	CHECK_STR(r.action, "stopped");
	CHECK_STR(r.reason, g.reason);
	CHECK_STR(r.model, "org/big:Q4_K_M");
	CHECK_INT(r.at_epoch, 1795000000);
	CHECK_INT(r.swap_used, 13 * GiB);
	CHECK_INT(guard_record_list(dir, &all, &n), LM_OK);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(all[0].port, 8080);
		CHECK_INT(all[1].port, 8081);
	}
	free(all);
	cJSON *o = guard_record_json(&r);
	char *text = cJSON_PrintUnformatted(o);
	CHECK(strstr(text, "\"action\":\"stopped\"") && strstr(text, "\"reason\":\"swap 13.0 GB"));
	free(text);
	cJSON_Delete(o);
	guard_record_remove(dir, 8081);
	CHECK_INT(guard_record_read(dir, 8081, &r, &err), LM_ENOTFOUND);
}

int main(void)
{
	test_parsers();
	test_sample_linux();
	test_sample_mac();
	test_swap_rate();
	test_limits();
	test_hysteresis();
	test_choose();
	test_plan_unload();
	test_list();
	test_records();
	return T_DONE();
}
