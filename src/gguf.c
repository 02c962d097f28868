/* gguf: GGUF header reader (see gguf.h). */
#include "localmodel/gguf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gguf_read_mem(const void *buf, size_t len, struct lm_gguf *g, struct lm_err *err)
{
	(void)buf;
	(void)len;
	memset(g, 0, sizeof(*g));
	return lm_err_set(err, LM_EFAIL, "gguf reader not implemented yet");
}

int gguf_read_fd(int fd, const char *name, struct lm_gguf *g, struct lm_err *err)
{
	(void)fd;
	(void)name;
	return gguf_read_mem(NULL, 0, g, err);
}

int gguf_read(const char *path, struct lm_gguf *g, struct lm_err *err)
{
	(void)path;
	return gguf_read_mem(NULL, 0, g, err);
}

int gguf_read_model(const char *first_path, struct lm_gguf *g, struct lm_err *err)
{
	return gguf_read(first_path, g, err);
}

void gguf_release(struct lm_gguf *g)
{
	memset(g, 0, sizeof(*g));
}

const struct lm_gguf_kv *gguf_kv(const struct lm_gguf *g, const char *key)
{
	for (size_t i = 0; i < g->nkvs; i++)
		if (!strcmp(g->kvs[i].key, key))
			return &g->kvs[i];
	return NULL;
}

const char *gguf_file_type_name(int file_type)
{
	(void)file_type;
	return NULL;
}

const char *gguf_type_name(uint32_t ggml_type)
{
	(void)ggml_type;
	return NULL;
}

uint64_t gguf_type_nbytes(uint32_t ggml_type, uint64_t n)
{
	(void)ggml_type;
	(void)n;
	return 0;
}

int gguf_quant_from_name(const char *filename, char *out, size_t size)
{
	(void)filename;
	(void)out;
	(void)size;
	return -1;
}

int gguf_split_parse(const char *path, int *index, int *count, char *prefix, size_t size)
{
	(void)path;
	(void)index;
	(void)count;
	(void)prefix;
	(void)size;
	return -1;
}

int gguf_split_path(char *buf, size_t size, const char *prefix, int index, int count)
{
	int n = snprintf(buf, size, "%s-%05d-of-%05d.gguf", prefix, index, count);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
