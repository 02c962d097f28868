/* serve: serve a model with a supervised llama-server. */
#include "localmodel/cmd.h"
#include "localmodel/ui.h"

static const struct lm_opt opts[] = {
	{ "port", 'p', LM_OPT_VALUE, "N", "port (8080)" },
	{ "host", 0, LM_OPT_VALUE, "H", "address to bind (127.0.0.1)" },
	{ "ctx", 'c', LM_OPT_VALUE, "N|auto", "context size" },
	{ "parallel", 0, LM_OPT_VALUE, "N", "parallel slots" },
	{ "gpu-layers", 0, LM_OPT_VALUE, "N|auto", "layers to offload to the GPU" },
	{ "flash-attn", 0, LM_OPT_VALUE, "on|off|auto", "flash attention" },
	{ "kv-cache", 0, LM_OPT_VALUE, "TYPE", "KV cache type (q8_0 with flash attention)" },
	{ "api-key-file", 0, LM_OPT_VALUE, "F", "file holding the API key" },
	{ "alias", 0, LM_OPT_VALUE, "NAME", "model name served by the API" },
	{ "idle-unload", 0, LM_OPT_VALUE, "SECONDS", "unload the model after SECONDS idle" },
	{ "all", 0, LM_OPT_FLAG, NULL, "serve every installed model (router mode)" },
	{ "max-loaded", 0, LM_OPT_VALUE, "N", "with --all: models loaded at once" },
	{ "foreground", 0, LM_OPT_FLAG, NULL, "run the supervisor in the foreground" },
	{ "force", 0, LM_OPT_FLAG, NULL, "serve even if the model does not fit" },
	{ "timeout", 0, LM_OPT_VALUE, "SECONDS", "wait this long for the server to be healthy" },
	{ "print-service", 0, LM_OPT_VALUE, "systemd|launchd", "print a service definition and exit" },
	LM_OPT_END,
};

static int serve_run(struct lm_ctx *ctx, struct lm_args *args)
{
	(void)args;
	ui_error(ctx, "not implemented yet");
	return LM_EFAIL;
}

const struct lm_cmd cmd_serve = {
	.name = "serve",
	.alias = "start",
	.summary = "serve a model with a supervised llama-server",
	.usage = "localmodel serve [MODEL|PATH] [--port N] [--host H] [--ctx N|auto] [options] [-- LLAMA-SERVER ARGS]",
	.opts = opts,
	.needs = NEED_STORE,
	.run = serve_run,
};
