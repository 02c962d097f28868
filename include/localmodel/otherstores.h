/*
 * otherstores (functions stores_*): models found in other tools' stores, listed and used in place,
 * read-only (localmodel never deletes what it did not download):
 *   hf-cache     HF hub cache (HF_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME or
 *                ~/.cache/huggingface/hub): models--org--repo/snapshots/<commit>/<path>
 *   llama-cache  llama.cpp cache (LLAMA_CACHE: same layout, plus flat *.gguf;
 *                without it the legacy ~/.cache/llama.cpp flat files)
 *   lmstudio     LM Studio (GGUF files in <home>/models/<publisher>/<repo>; home from
 *                ~/.lmstudio-home-pointer, else ~/.cache/lm-studio, else ~/.lmstudio)
 *   ollama       Ollama ($OLLAMA_MODELS or ~/.ollama/models: manifests ->
 *                application/vnd.ollama.image.model layer -> blobs/sha256-<hex>)
 * Nothing here creates, changes or deletes a file. Lists are struct lm_model
 * rows (store.h) owned by the caller: store_model_list_free().
 */
#ifndef LOCALMODEL_OTHERSTORES_H
#define LOCALMODEL_OTHERSTORES_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"
#include "store.h"

enum stores_kind {
	STORES_HF = 1 << 0,
	STORES_LLAMA = 1 << 1,
	STORES_LMSTUDIO = 1 << 2,
	STORES_OLLAMA = 1 << 3,
	STORES_ALL = 0xf,
};

/* Root directories (whether or not they exist); -1 when too long. */
int stores_hf_hub_dir(char *buf, size_t size);
/* LLAMA_CACHE, else the legacy cache dir; *is_env tells which. */
int stores_llama_dir(char *buf, size_t size, int *is_env);
/* LM Studio's models folder. */
int stores_lmstudio_dir(char *buf, size_t size);
int stores_ollama_dir(char *buf, size_t size);

/* Every GGUF model in the chosen stores (mmproj/imatrix files left out),
 * named "org/repo:QUANT" (Ollama: "model:tag"), source set, sorted by name.
 * Unreadable stores are skipped silently. */
int stores_scan(unsigned kinds, struct lm_model **out, size_t *n, struct lm_err *err);

/* Find a file whose content should have sha256 `sha` (lowercase hex) and
 * `size` in the HF hub cache or the llama.cpp cache: models--org--repo of
 * `repo` first, then every other repo's blobs. Fills path and *source
 * ("hf-cache", "llama-cache"); 1 found, 0 not. The content is not hashed
 * here: the caller verifies it. */
int stores_find_blob(const char *repo, const char *sha, uint64_t size, char *path, size_t psize,
		     const char **source);

/* 1 when the file starts with the GGUF magic. */
int stores_is_gguf_file(const char *path);

#endif
