/* test_fit: the memory estimate, with numbers worked out by hand. */
#include "localmodel/catalog.h"
#include "localmodel/fit.h"
#include "localmodel/gguf.h"
#include "localmodel/hw.h"
#include "t.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
/* compute buffer of model A: 512 x 4 x (3 x 14336 + 4 x 4096) = 116 MiB,
 * plus 512 x 2 bytes of attention mask per token of context */
#define COMPUTE_A(ctx) (116 * MiB + 1024ull * (ctx))
#define OVER (50 * MiB)

/* Model A: an "8B" with 32 layers, 8 KV heads of 128+128, 100 MiB per layer
 * (33 layers counting the output one), so that KV is 128 KiB per token. */
static void model_a(struct lm_fit_model *m)
{
	memset(m, 0, sizeof(*m));
	m->weight_bytes = 33 * 100 * MiB;
	m->n_layers = 32;
	m->n_embd = 4096;
	m->n_ff = 14336;
	m->n_vocab = 128000;
	m->ctx_train = 131072;
	m->key_length = m->value_length = 128;
	for (int l = 0; l < 32; l++)
		m->head_kv[l] = 8;
}

static void test_kv(void)
{
	struct lm_fit_model m;

	model_a(&m);
	CHECK_INT(fit_kv_bytes(&m, 4096, LM_CACHE_F16, 1), 512 * MiB);
	CHECK_INT(fit_kv_bytes(&m, 4096, LM_CACHE_Q8_0, 1), 272 * MiB);
	CHECK_INT(fit_kv_bytes(&m, 4096, LM_CACHE_Q4_0, 1), 144 * MiB);
	CHECK_INT(fit_kv_bytes(&m, 4096, LM_CACHE_F32, 1), 1024 * MiB);
	CHECK_INT(fit_compute_bytes(&m, 4096), 120 * MiB);
	CHECK_INT(fit_compute_bytes(&m, 131072), 244 * MiB);
	m.n_ff = 0; /* unknown: 3.5 x n_embd */
	CHECK_INT(fit_compute_bytes(&m, 0), 2048ull * (3 * 14336 + 4 * 4096));
	m.n_ff = 14336;

	/* per-layer heads: a layer without KV costs nothing */
	m.head_kv[0] = 0;
	m.head_kv[1] = 16;
	CHECK_INT(fit_kv_bytes(&m, 4096, LM_CACHE_F16, 1), 512 * MiB);

	/* SWA: 6 layers, pattern 6 (5 local + 1 global), window 1024:
	 * local layers hold min(ctx, 1024 + 512) cells of 1 x 256 x 2 bytes */
	memset(&m, 0, sizeof(m));
	m.n_layers = 6;
	m.key_length = m.value_length = 128;
	for (int l = 0; l < 6; l++)
		m.head_kv[l] = 1;
	fit_model_set_swa(&m, 1024, 6);
	CHECK(m.swa[0] && m.swa[4] && !m.swa[5]);
	CHECK_INT(fit_kv_bytes(&m, 8192, LM_CACHE_F16, 1), 5 * 1536 * 512 + 8192 * 512);
	CHECK_INT(fit_kv_bytes(&m, 1000, LM_CACHE_F16, 1), 6 * 1000 * 512);
	/* 4 slots: local layers keep 4 x 1024 + 512 */
	CHECK_INT(fit_kv_bytes(&m, 8192, LM_CACHE_F16, 4), 5 * 4608 * 512 + 8192 * 512);
	fit_model_set_swa(&m, 1024, 0); /* all local */
	CHECK(m.swa[5]);
	fit_model_set_swa(&m, 1024, 2); /* gpt-oss: alternate */
	CHECK(m.swa[0] && !m.swa[1] && m.swa[2] && !m.swa[5]);

	/* MLA: ctx x (rank + 64) per layer */
	memset(&m, 0, sizeof(m));
	m.n_layers = 2;
	m.kv_lora_rank = 512;
	CHECK_INT(fit_kv_bytes(&m, 1000, LM_CACHE_F16, 1), 2 * 1000 * 576 * 2);
}

static void test_cpu(void)
{
	struct lm_fit_model m;
	struct lm_fit_machine mc;
	struct lm_fit_opts o;
	struct lm_fit_result r;
	struct lm_err err = { 0 };

	model_a(&m);
	fit_opts_default(&o);
	/* 16 GiB, no GPU: budget 14 GiB. Room = 14336 - 3300 - 50 - 116 MiB =
	 * 10870 MiB for 131072 (KV) + 1024 (mask) bytes a token -> 86285
	 * tokens -> 4096 + 80 x 1024 = 86016 */
	fit_machine_from_sizes(&mc, 16 * GiB, 0, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_CPU);
	CHECK_STR(fit_verdict_name(r.verdict), "cpu");
	CHECK_INT(r.ctx, 86016);
	CHECK_INT(r.gpu_layers, 0);
	CHECK_INT(r.n_layers_total, 33);
	CHECK_INT(r.kv_bytes, 86016ull * 131072);
	CHECK_INT(r.compute_bytes, COMPUTE_A(86016));
	CHECK_INT(r.overhead_bytes, OVER);
	CHECK_INT(r.cpu_bytes, 3300 * MiB + 86016ull * 131072 + OVER + COMPUTE_A(86016));
	CHECK_INT(r.total_bytes, r.cpu_bytes);
	CHECK_INT(r.gpu_bytes, 0);
	CHECK(r.total_bytes <= 14 * GiB);
	/* one more step would not fit */
	o.ctx = 86016 + 1024;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_NO_FIT);
	CHECK_INT(r.missing_bytes, 3300 * MiB + 87040ull * 131072 + OVER + COMPUTE_A(87040) - 14 * GiB);

	/* 4 GiB: 2 GiB budget, 3982 MiB needed at 4096 */
	o.ctx = 0;
	fit_machine_from_sizes(&mc, 4 * GiB, 0, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_NO_FIT);
	CHECK_INT(r.ctx, 4096);
	CHECK_INT(r.missing_bytes, (3300 + 512) * MiB + OVER + COMPUTE_A(4096) - 2 * GiB);

	/* the reserve counts: 0 reserve on 3.5 GiB still does not fit */
	o.reserve_bytes = 0;
	fit_machine_from_sizes(&mc, 3584 * MiB, 0, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_NO_FIT);
	CHECK_INT(r.missing_bytes, (3300 + 512) * MiB + OVER + COMPUTE_A(4096) - 3584 * MiB);
	fit_machine_from_sizes(&mc, 4 * GiB, 0, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_CPU);

	/* a model trained on 2048 tokens gets 2048 */
	o.reserve_bytes = 2 * GiB;
	m.ctx_train = 2048;
	fit_machine_from_sizes(&mc, 16 * GiB, 0, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.ctx, 2048);
	/* ctx_train itself is allowed when it fits */
	m.ctx_train = 40960;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.ctx, 40960);

	/* no layers: unusable */
	m.n_layers = 0;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), LM_EUSAGE);
}

static void test_gpu(void)
{
	struct lm_fit_model m;
	struct lm_fit_machine mc;
	struct lm_fit_opts o;
	struct lm_fit_result r;
	struct lm_err err = { 0 };

	model_a(&m);
	fit_opts_default(&o);

	/* 24 GiB GPU, 64 GiB RAM: the whole 128K context fits on the GPU:
	 * 3300 + 16384 + 512 MiB + compute (244 MiB) = 20440 MiB */
	fit_machine_from_sizes(&mc, 64 * GiB, 24 * GiB, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_FULL_GPU);
	CHECK_INT(r.ctx, 131072);
	CHECK_INT(r.gpu_layers, 33);
	CHECK_INT(r.gpu_bytes, (3300 + 16384 + 512) * MiB + COMPUTE_A(131072));
	CHECK_INT(r.cpu_bytes, OVER);

	/* 8 GiB GPU: full at 4096; GPU room = 8192 - 3300 - 512 - 116 MiB =
	 * 4264 MiB at 132096 bytes a token -> 33847 -> 4096 + 29 x 1024 */
	fit_machine_from_sizes(&mc, 32 * GiB, 8 * GiB, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_FULL_GPU);
	CHECK_INT(r.ctx, 33792);
	CHECK(r.gpu_bytes <= 8 * GiB);
	/* asking for more context keeps it but offloads fewer layers */
	o.ctx = 65536;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_PARTIAL_GPU);
	CHECK_INT(r.ctx, 65536);
	/* KV is 256 MiB a layer at 65536: 100 (output) + 512 + 180 (compute)
	 * MiB fixed + (g - 1) x (100 + 256) <= 8192 -> g = 21 */
	CHECK_INT(r.gpu_layers, 1 + (int)((8192 - 792) / (100 + 256)));
	CHECK(r.gpu_bytes <= 8 * GiB);
	o.ctx = 0;

	/* 2 GiB GPU: 100 + 512 + 120 + (g - 1) x 116 <= 2048 MiB -> g = 12 at
	 * 4096; more context would need 11 x 4 KiB + 1 KiB a token beyond the
	 * 220 MiB left: 5006 tokens, less than the next step */
	fit_machine_from_sizes(&mc, 32 * GiB, 2 * GiB, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_PARTIAL_GPU);
	CHECK_STR(fit_verdict_name(r.verdict), "partial_gpu");
	CHECK_INT(r.gpu_layers, 12);
	CHECK_INT(r.ctx, 4096);
	CHECK_INT(r.gpu_bytes, (100 + 11 * (100 + 16) + 512) * MiB + COMPUTE_A(4096));
	CHECK_INT(r.cpu_bytes, (2100 + 21 * 16) * MiB + OVER + COMPUTE_A(4096));
	CHECK_INT(r.kv_bytes, 32 * 16 * MiB);

	/* forced layers */
	o.gpu_layers = 5;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.gpu_layers, 5);
	CHECK_INT(r.verdict, LM_FIT_PARTIAL_GPU);
	o.gpu_layers = 99;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.gpu_layers, 33);
	CHECK_INT(r.verdict, LM_FIT_NO_FIT); /* 2 GiB cannot hold it all */
	CHECK(r.missing_bytes > 0);
	o.gpu_layers = 0;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_CPU);
	o.gpu_layers = -1;

	/* a GPU too small for even the output layer: CPU */
	fit_machine_from_sizes(&mc, 32 * GiB, 512 * MiB, 0);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_CPU);
	CHECK_INT(r.gpu_layers, 0);
	CHECK_INT(r.gpu_bytes, 0);

	/* two GPUs pay the driver overhead twice */
	fit_machine_from_sizes(&mc, 64 * GiB, 48 * GiB, 0);
	mc.ngpus = 2;
	o.ctx = 4096;
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.gpu_bytes, (3300 + 512 + 1024) * MiB + COMPUTE_A(4096));
}

static void test_unified(void)
{
	struct lm_fit_model m;
	struct lm_fit_machine mc;
	struct lm_fit_opts o;
	struct lm_fit_result r;
	struct lm_err err = { 0 };

	model_a(&m);
	fit_opts_default(&o);
	/* 16 GiB Mac, 10 GiB GPU working set: GPU part = 3300 + 116 MiB +
	 * 132096 bytes a token <= 10240 MiB -> 54170 -> 4096 + 48 x 1024 */
	fit_machine_from_sizes(&mc, 16 * GiB, 10 * GiB, 1);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_FULL_GPU);
	CHECK_INT(r.ctx, 53248);
	CHECK_INT(r.gpu_bytes, 3300 * MiB + 53248ull * 131072 + COMPUTE_A(53248)); /* no driver overhead */
	CHECK_INT(r.cpu_bytes, OVER);
	/* the GPU share counts against RAM: a 14 GiB working set on 16 GiB
	 * stops at what RAM minus the reserve holds (as on the CPU above) */
	fit_machine_from_sizes(&mc, 16 * GiB, 14 * GiB, 1);
	CHECK_INT(fit_estimate(&m, &mc, &o, &r, &err), 0);
	CHECK_INT(r.verdict, LM_FIT_FULL_GPU);
	CHECK_INT(r.ctx, 86016);
	CHECK(r.total_bytes <= 14 * GiB);
	/* the working set cannot exceed RAM */
	fit_machine_from_sizes(&mc, 8 * GiB, 64 * GiB, 1);
	CHECK_INT(mc.gpu_bytes, 8 * GiB);
}

static void test_from_gguf_and_catalog(void)
{
	struct lm_gguf g;
	struct lm_fit_model m;
	struct lm_err err = { 0 };
	uint32_t hkv[6] = { 4, 4, 4, 4, 4, 2 };
	struct lm_catalog_file f = { "Q4_K_M", "x-Q4_K_M.gguf", 5000000000ull, 1 };
	struct lm_catalog_model c = { 0 };

	memset(&g, 0, sizeof(g));
	CHECK_INT(fit_model_from_gguf(&m, &g, &err), LM_EUSAGE);
	g.arch = "gemma3";
	g.block_count = 6;
	g.head_kv = hkv;
	g.key_length = g.value_length = 256;
	g.sliding_window = 1024;
	g.weight_bytes = 123456;
	g.ctx_train = 131072;
	CHECK_INT(fit_model_from_gguf(&m, &g, &err), 0);
	CHECK_INT(m.n_layers, 6);
	CHECK_INT(m.head_kv[5], 2);
	CHECK(m.swa[0] && m.swa[4] && !m.swa[5]); /* gemma3's 5:1 pattern */
	CHECK_INT(m.weight_bytes, 123456);
	g.arch = "llama"; /* a window without a known pattern is ignored */
	CHECK_INT(fit_model_from_gguf(&m, &g, &err), 0);
	CHECK(!m.swa[0] && m.sliding_window == 0);
	g.swa_pattern = 2;
	CHECK_INT(fit_model_from_gguf(&m, &g, &err), 0);
	CHECK(m.swa[0] && !m.swa[1]);

	c.params = 8000000000ull;
	c.ctx_train = 40960;
	c.n_layers = 36;
	c.n_embd = 4096;
	c.n_head = 32;
	c.n_head_kv = 8;
	c.key_length = 128;
	c.value_length = 128;
	fit_model_from_catalog(&m, &c, &f);
	CHECK_INT(m.weight_bytes, 5000000000ull);
	CHECK_INT(m.n_layers, 36);
	CHECK_INT(m.head_kv[35], 8);
	CHECK_INT(fit_kv_bytes(&m, 1024, LM_CACHE_F16, 1), 36ull * 1024 * 8 * 256 * 2);
	c.key_length = c.value_length = 0; /* defaults to embd / heads */
	c.sliding_window = 128;
	c.swa_every = 2;
	fit_model_from_catalog(&m, &c, &f);
	CHECK_INT(m.key_length, 128);
	CHECK(m.swa[0] && !m.swa[1]);
}

static void test_machine_from_hw(void)
{
	struct lm_hw hw;
	struct lm_fit_machine mc;

	memset(&hw, 0, sizeof(hw));
	hw.ram_total = 64 * GiB;
	hw.ram_available = 40 * GiB;
	hw.ngpus = 2;
	hw.gpus[0].vendor = LM_GPU_NVIDIA;
	hw.gpus[0].vram_total = 24 * GiB;
	hw.gpus[0].vram_used = 1 * GiB;
	hw.gpus[1].vendor = LM_GPU_INTEL; /* integrated: not counted */
	hw.gpus[1].vram_total = 2 * GiB;
	fit_machine_from_hw(&mc, &hw, 0);
	CHECK_INT(mc.ram_bytes, 64 * GiB);
	CHECK_INT(mc.gpu_bytes, 24 * GiB);
	CHECK_INT(mc.ngpus, 1);
	fit_machine_from_hw(&mc, &hw, 1);
	CHECK_INT(mc.ram_bytes, 40 * GiB);
	CHECK_INT(mc.gpu_bytes, 23 * GiB);
	/* a container limit caps both */
	hw.cgroup_limit = 8 * GiB;
	hw.cgroup_used = 1 * GiB;
	fit_machine_from_hw(&mc, &hw, 0);
	CHECK_INT(mc.ram_bytes, 8 * GiB);
	fit_machine_from_hw(&mc, &hw, 1);
	CHECK_INT(mc.ram_bytes, 7 * GiB);

	memset(&hw, 0, sizeof(hw));
	hw.ram_total = 16 * GiB;
	hw.unified_memory = 1;
	hw.ngpus = 1;
	hw.gpus[0].vendor = LM_GPU_APPLE;
	hw.gpus[0].vram_total = 10 * GiB;
	fit_machine_from_hw(&mc, &hw, 0);
	CHECK_INT(mc.unified, 1);
	CHECK_INT(mc.gpu_bytes, 10 * GiB);
	CHECK_INT(mc.ngpus, 0);
}

static void test_names(void)
{
	enum lm_cache_type t;

	CHECK_INT(fit_cache_parse("q8_0", &t), 0);
	CHECK_INT(t, LM_CACHE_Q8_0);
	CHECK_INT(fit_cache_parse("q5_9", &t), -1);
	CHECK_STR(fit_cache_name(LM_CACHE_Q4_0), "q4_0");
	CHECK_STR(fit_verdict_name(LM_FIT_FULL_GPU), "full_gpu");
	CHECK_STR(fit_verdict_name(LM_FIT_NO_FIT), "no_fit");
}

int main(void)
{
	test_kv();
	test_cpu();
	test_gpu();
	test_unified();
	test_from_gguf_and_catalog();
	test_machine_from_hw();
	test_names();
	return T_DONE();
}
