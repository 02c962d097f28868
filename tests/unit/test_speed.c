/* test_speed: the speed model's arithmetic on fixed inputs, the chip table,
 * learning from history and the calibration cache. */
#include "localmodel/fit.h"
#include "localmodel/hw.h"
#include "localmodel/speed.h"
#include "t.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define NEAR(a, b, tol) CHECK(fabs((double)(a) - (double)(b)) <= (tol))

/* A plain machine: 20 GB/s host, 100 GFLOP/s a thread, 2 threads, a GPU
 * of 800 GB/s and 50 TFLOP/s; 10 ms and 2 ms per token. */
static void machine(struct lm_speed_machine *sm)
{
	memset(sm, 0, sizeof(*sm));
	sm->host_bw = 20e9;
	sm->host_flops = 100e9;
	sm->threads = 2;
	sm->gpu_bw = 800e9;
	sm->gpu_flops = 50e12;
	sm->cpu_token_s = 0.010;
	sm->gpu_token_s = 0.002;
	sm->factor = 1;
}

static void test_predict(void)
{
	struct lm_speed_machine sm;
	struct lm_speed_model s = { .active_bytes = 2000000000ull, .active_params = 2000000000ull,
				    .kv_token_bytes = 100000 };
	struct lm_speed_result r;

	machine(&sm);
	/* CPU: 2e9 / 20e9 = 0.1 s + 10 ms = 0.11 s -> 9.09 tok/s;
	 * prompt 4e9 flop / 200e9 = 20 ms -> 50 tok/s */
	speed_predict(&s, &sm, 0, 25, 0, &r);
	NEAR(r.decode_tok_s, 1 / 0.11, 1e-6);
	NEAR(r.prompt_tok_s, 50, 1e-6);
	CHECK(r.gpu_share == 0);
	/* 10000 tokens of KV: 1e9 more bytes -> 0.15 + 0.01 */
	speed_predict(&s, &sm, 0, 25, 10000, &r);
	NEAR(r.decode_tok_s, 1 / 0.16, 1e-6);
	/* all on the GPU: 2e9 / 800e9 = 2.5 ms + 2 ms; prompt 4e9 / 50e12 */
	speed_predict(&s, &sm, 25, 25, 0, &r);
	NEAR(r.decode_tok_s, 1 / 0.0045, 1e-3);
	NEAR(r.prompt_tok_s, 12500, 1e-3);
	/* 5 of 25 layers: 0.2 x 2e9/800e9 + 0.8 x 2e9/20e9 + 2 ms = 0.0825 s */
	speed_predict(&s, &sm, 5, 25, 0, &r);
	NEAR(r.gpu_share, 0.2, 1e-9);
	NEAR(r.decode_tok_s, 1 / 0.0825, 1e-6);
	/* prompt: 0.8 x 4e9 / 200e9 + 0.2 x 4e9 / 50e12 = 0.016016 s */
	NEAR(r.prompt_tok_s, 1 / 0.016016, 1e-6);
	/* a second thread doubles prompt speed, decode unchanged */
	sm.threads = 1;
	speed_predict(&s, &sm, 0, 25, 0, &r);
	NEAR(r.prompt_tok_s, 25, 1e-6);
	NEAR(r.decode_tok_s, 1 / 0.11, 1e-6);
	/* no GPU: offloaded layers are ignored */
	sm.gpu_bw = 0;
	speed_predict(&s, &sm, 25, 25, 0, &r);
	NEAR(r.decode_tok_s, 1 / 0.11, 1e-6);
}

static void test_model_from_fit(void)
{
	struct lm_fit_model m;
	struct lm_speed_model s;

	memset(&m, 0, sizeof(m));
	m.weight_bytes = 1000;
	m.params = 500;
	m.n_layers = 2;
	m.key_length = m.value_length = 64;
	m.head_kv[0] = m.head_kv[1] = 2;
	speed_model_from_fit(&s, &m, LM_CACHE_F16);
	CHECK_INT(s.active_bytes, 1000);
	CHECK_INT(s.active_params, 500);
	/* 2 layers x 2 heads x 128 x 2 bytes */
	CHECK_INT(s.kv_token_bytes, 1024);
	m.active_bytes = 300;
	m.active_params = 150;
	speed_model_from_fit(&s, &m, LM_CACHE_Q8_0);
	CHECK_INT(s.active_bytes, 300);
	CHECK_INT(s.active_params, 150);
	CHECK_INT(s.kv_token_bytes, 1024 * 34 / 64);
}

static void test_table(void)
{
	struct lm_hw hw;
	struct lm_speed_machine sm;

	CHECK_STR(speed_chip_find("Apple M2 Max")->name, "M2 Max");
	CHECK_STR(speed_chip_find("Apple M2")->name, "M2");
	CHECK_STR(speed_chip_find("NVIDIA GeForce RTX 4090")->name, "RTX 4090");
	CHECK_STR(speed_chip_find("NVIDIA GeForce RTX 4060 Ti")->name, "RTX 4060 Ti");
	CHECK(speed_chip_find("NVIDIA GeForce RTX 40900") == NULL);
	CHECK(speed_chip_find("Intel Xeon") == NULL);
	NEAR(speed_ddr_bw(3200, 2), 51.2e9, 1);
	NEAR(speed_ddr_bw(4800, 8), 307.2e9, 1);

	/* a Mac M1: unified, GPU at 0.9 x 68.25 GB/s */
	memset(&hw, 0, sizeof(hw));
	lm_strlcpy(hw.cpu_model, "Apple M1", sizeof(hw.cpu_model));
	hw.unified_memory = 1;
	hw.cores_physical = 8;
	hw.cpu_flags = LM_CPU_NEON;
	speed_machine_from_hw(&sm, &hw);
	NEAR(sm.gpu_bw, 68.25e9 * LM_SPEED_GPU_BW_EFF, 1);
	CHECK_STR(sm.chip, "M1");
	CHECK_INT(sm.threads, 8);
	CHECK_INT(sm.source, LM_SPEED_SRC_TABLE);
	/* the published anchor: Llama-2-7B Q4_0 (3.56 GiB ~ 3.83e9 bytes) on
	 * an M1 at 14.2 tok/s; the model lands within 15% */
	{
		struct lm_speed_model s = { .active_bytes = 3825000000ull,
					    .active_params = 6740000000ull };
		struct lm_speed_result r;
		speed_predict(&s, &sm, 33, 33, 0, &r);
		CHECK(fabs(r.decode_tok_s / 14.2 - 1) < 0.15);
	}
	/* an unknown x86 CPU without a GPU: dual-channel DDR4-3200 */
	memset(&hw, 0, sizeof(hw));
	hw.cores_logical = 4;
	hw.cpu_flags = LM_CPU_AVX2;
	speed_machine_from_hw(&sm, &hw);
	NEAR(sm.host_bw, 51.2e9 * LM_SPEED_CPU_BW_EFF, 1);
	CHECK(sm.gpu_bw == 0);
	CHECK_INT(sm.threads, 4);
	/* an integrated Intel GPU is not offloaded to */
	hw.ngpus = 1;
	hw.gpus[0].vendor = LM_GPU_INTEL;
	lm_strlcpy(hw.gpus[0].name, "Intel UHD Graphics 620", sizeof(hw.gpus[0].name));
	speed_machine_from_hw(&sm, &hw);
	CHECK(sm.gpu_bw == 0);
	/* an RTX 4090 */
	hw.gpus[0].vendor = LM_GPU_NVIDIA;
	lm_strlcpy(hw.gpus[0].name, "NVIDIA GeForce RTX 4090", sizeof(hw.gpus[0].name));
	speed_machine_from_hw(&sm, &hw);
	NEAR(sm.gpu_bw, 1008e9 * LM_SPEED_GPU_BW_EFF, 1);
	/* planning: --bandwidth */
	speed_machine_set_bandwidth(&sm, 100e9, 0);
	NEAR(sm.host_bw, 100e9 * LM_SPEED_CPU_BW_EFF, 1);
	CHECK_INT(sm.source, LM_SPEED_SRC_GIVEN);
	speed_machine_use_probe(&sm, 50e9, 10e9);
	NEAR(sm.host_bw, 50e9 * LM_SPEED_PROBE_BW_EFF, 1);
	NEAR(sm.host_flops, 10e9 * LM_SPEED_CPU_FLOPS_EFF, 1);
	CHECK_INT(sm.source, LM_SPEED_SRC_PROBE);
}

static void test_learn(void)
{
	struct lm_speed_machine sm;
	/* predicted 10 tok/s (0.1 s = 0.09 + 0.01), measured 0.19 s -> the
	 * machine is half as fast: factor 0.5 */
	struct lm_speed_sample v[2] = { { 10, 1 / 0.19, 100 }, { 10, 1 / 0.19, 100 } };

	NEAR(speed_learn_factor(v, 2, 0.01), 0.5, 1e-9);
	/* too little history */
	v[0].tokens = v[1].tokens = 5;
	NEAR(speed_learn_factor(v, 2, 0.01), 1, 0);
	/* weighted: 300 tokens at 0.5, 100 at 2 -> exp((300 ln .5 + 100 ln 2)/400) */
	v[0].tokens = 300;
	v[1].measured = 1 / 0.055;
	v[1].tokens = 100;
	NEAR(speed_learn_factor(v, 2, 0.01), exp((300 * log(0.5) + 100 * log(2)) / 400), 1e-9);
	/* clamped */
	v[0].measured = 1 / 10.0;
	v[1].measured = 1 / 10.0;
	NEAR(speed_learn_factor(v, 2, 0.01), 0.25, 0);
	machine(&sm);
	speed_machine_apply_factor(&sm, 0.5);
	NEAR(sm.host_bw, 10e9, 1);
	NEAR(sm.gpu_bw, 400e9, 1);
	CHECK_INT(sm.source, LM_SPEED_SRC_HISTORY);
}

static void test_cache(void)
{
	char dir[] = "/tmp/test_speed.XXXXXX", key[17], path[256];
	struct lm_speed_probe p = { 12.5e9, 3e9 }, q;
	struct lm_err err = { 0 };
	struct lm_hw a, b;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	memset(&a, 0, sizeof(a));
	lm_strlcpy(a.cpu_model, "AMD EPYC", sizeof(a.cpu_model));
	a.ram_total = 24ull << 30;
	b = a;
	speed_machine_key(&a, key);
	CHECK_INT(strlen(key), 16);
	{
		char kb[17];
		b.cores_logical = 8; /* another machine, another key */
		speed_machine_key(&b, kb);
		CHECK(strcmp(key, kb) != 0);
	}
	CHECK_INT(speed_cache_load(dir, key, &q, &err), LM_ENOTFOUND);
	CHECK_INT(speed_cache_save(dir, key, &p, &err), LM_OK);
	CHECK_INT(speed_cache_load(dir, key, &q, &err), LM_OK);
	NEAR(q.read_bw, 12.5e9, 1);
	NEAR(q.flops, 3e9, 1);
	/* a file without figures is no calibration */
	snprintf(path, sizeof(path), "%s/speed-%s.txt", dir, key);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("read_bw = 0\n", f);
	fclose(f);
	CHECK_INT(speed_cache_load(dir, key, &q, &err), LM_ENOTFOUND);
	/* figures of the first probe (no version line) mean something else */
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("read_bw = 12500000000\nflops = 3000000000\n", f);
	fclose(f);
	CHECK_INT(speed_cache_load(dir, key, &q, &err), LM_ENOTFOUND);
	unlink(path);
	rmdir(dir);
}

static void test_probe(void)
{
	struct lm_speed_probe p;
	struct lm_err err = { 0 };

	CHECK_INT(speed_probe(&p, 8u << 20, 2, 1, &err), LM_OK);
	CHECK(p.read_bw > 0 && p.flops > 0);
	CHECK_INT(speed_probe(&p, 8u << 20, 1, 3, &err), LM_OK);
	CHECK(p.read_bw > 0 && p.flops > 0);
	CHECK_INT(speed_probe(&p, 100, 1, 1, &err), LM_EUSAGE);
	CHECK_INT(speed_probe(&p, 8u << 20, 0, 1, &err), LM_EUSAGE);
}

int main(void)
{
	test_predict();
	test_model_from_fit();
	test_table();
	test_learn();
	test_cache();
	test_probe();
	return T_DONE();
}
