/*
 * gguf: reads the header of a GGUF file (versions 2 and 3): metadata
 * key/values and tensor infos, never the tensor data. Reads are buffered and
 * array contents that are not needed (tokenizer vocabularies) are skipped
 * without being allocated, so a 40 GB file costs a few KB to a few MB of
 * reads. Hostile input (bad magic, big-endian, truncation, lengths past the
 * end, absurd counts, deep nesting) is a clean LM_EINTEGRITY error.
 *
 * struct lm_gguf owns its strings and arrays: gguf_release() frees them.
 * Facts absent from the file stay 0 / NULL, except where GGUF defines a
 * default (head_count_kv = head_count, key/value length = embd / heads).
 */
#ifndef LOCALMODEL_GGUF_H
#define LOCALMODEL_GGUF_H

#include <stddef.h>
#include <stdint.h>
#include "base.h"

/* Value types of the format (GGUFValueType). */
enum lm_gguf_type {
	GGUF_T_UINT8 = 0,
	GGUF_T_INT8 = 1,
	GGUF_T_UINT16 = 2,
	GGUF_T_INT16 = 3,
	GGUF_T_UINT32 = 4,
	GGUF_T_INT32 = 5,
	GGUF_T_FLOAT32 = 6,
	GGUF_T_BOOL = 7,
	GGUF_T_STRING = 8,
	GGUF_T_ARRAY = 9,
	GGUF_T_UINT64 = 10,
	GGUF_T_INT64 = 11,
	GGUF_T_FLOAT64 = 12,
};

/* Limits that make hostile files cheap to refuse. */
#define GGUF_MAX_TENSORS (1u << 18)  /* tensor_count above this is refused */
#define GGUF_MAX_KV 8192             /* kv_count above this is refused */
#define GGUF_MAX_STRING (64u << 20)  /* longest string accepted (chat templates) */
#define GGUF_MAX_DEPTH 8             /* arrays of arrays nested deeper: refused */
#define GGUF_MAX_LAYERS 1024         /* block_count above this is refused */

/* One metadata entry. Strings longer than 1 KB are kept truncated; arrays
 * are summarised as "[u32 x 36]" in text, and integer/bool arrays of at most
 * GGUF_MAX_LAYERS elements are kept in `arr`. */
struct lm_gguf_kv {
	char *key;
	enum lm_gguf_type type;
	char *text;       /* the value as text (strings: the string itself) */
	int64_t i;        /* integer and bool values */
	double f;         /* float values (and integers, converted) */
	enum lm_gguf_type arr_type; /* element type of an array */
	uint64_t arr_len;           /* element count of an array */
	int64_t *arr;               /* integer/bool elements, or NULL */
};

struct lm_gguf_tensor {
	char *name;
	uint32_t n_dims;
	int64_t ne[4];
	uint32_t type;    /* ggml_type */
	uint64_t offset;  /* relative to the data section */
	uint64_t nbytes;  /* from the shape and the type's block size */
};

struct lm_gguf {
	uint32_t version;
	uint64_t n_tensors;
	uint64_t n_kv;
	char *arch;             /* general.architecture, or NULL */
	char *name;             /* general.name, or NULL */
	int file_type;          /* general.file_type, -1 when absent */
	char quant[24];         /* label: from file_type, else from the tensor
				   types ("Q4_K_M", "F16", "MXFP4_MOE", "" unknown) */
	uint64_t params;        /* parameter count, from tensor shapes */
	uint64_t weight_bytes;  /* bytes of tensor data, from shapes and types */
	uint32_t block_count;
	uint32_t ctx_train;     /* {arch}.context_length */
	uint32_t n_embd;
	uint32_t n_ff;          /* first layer's when per-layer */
	uint32_t n_head;        /* first layer's when per-layer */
	uint32_t n_head_kv;     /* the largest over layers */
	uint32_t *head_kv;      /* per-layer KV heads, block_count entries (always
				   filled when block_count > 0) */
	uint32_t key_length;
	uint32_t value_length;
	uint32_t sliding_window;     /* 0 when none */
	uint32_t swa_pattern;        /* {arch}.attention.sliding_window_pattern as a
					number (1 full layer every N), 0 when absent */
	uint8_t *swa_layers;         /* per-layer 1 = sliding window, when the file
					gives a bool array; else NULL */
	uint32_t kv_lora_rank;       /* MLA (deepseek2), 0 when none */
	uint32_t n_expert;
	uint32_t n_expert_used;
	uint64_t n_vocab;            /* {arch}.vocab_size, else tokenizer.ggml.tokens length */
	int has_chat_template;
	int split_no;                /* split.no (0-based), 0 when not split */
	int split_count;             /* split.count, 0 when not split */
	uint32_t alignment;          /* general.alignment (32) */
	uint64_t data_offset;        /* start of tensor data in this file */
	uint64_t data_end;           /* end of the last tensor's data; a complete
					file has file_size >= data_end */
	uint64_t file_size;
	struct lm_gguf_kv *kvs;      /* every key, in file order */
	size_t nkvs;
	struct lm_gguf_tensor *tensors; /* every tensor info of this file */
	size_t ntensors;
};

/* Read the header of path. LM_EINTEGRITY for a malformed file, LM_ENOTFOUND
 * when missing, LM_EFAIL for other I/O errors. */
int gguf_read(const char *path, struct lm_gguf *g, struct lm_err *err);
/* The same from an open descriptor, read from offset 0 (name is for messages). */
int gguf_read_fd(int fd, const char *name, struct lm_gguf *g, struct lm_err *err);
/* The same from memory (fuzzing, tests). */
int gguf_read_mem(const void *buf, size_t len, struct lm_gguf *g, struct lm_err *err);
/* Read the first file of a model and, when it is split ("-00001-of-0000N"),
 * every other part beside it, adding their params, weight_bytes and tensor
 * counts. A missing part is LM_ENOTFOUND. */
int gguf_read_model(const char *first_path, struct lm_gguf *g, struct lm_err *err);
void gguf_release(struct lm_gguf *g);

/* The metadata entry named key, or NULL. */
const struct lm_gguf_kv *gguf_kv(const struct lm_gguf *g, const char *key);

/* "Q4_K_M" for general.file_type 15, NULL when unknown. */
const char *gguf_file_type_name(int file_type);
/* "Q4_K" for ggml type 12, NULL when unknown. */
const char *gguf_type_name(uint32_t ggml_type);
/* Bytes of a tensor of n elements of ggml_type; 0 when the type is unknown
 * or n is not a multiple of the block size. */
uint64_t gguf_type_nbytes(uint32_t ggml_type, uint64_t n);

/* Guess the quant label from a file name: "Qwen3-8B-Q4_K_M.gguf" -> "Q4_K_M",
 * "m-UD-Q4_K_XL-00001-of-00003.gguf" -> "UD-Q4_K_XL", "x.f16.gguf" -> "F16";
 * upper-cased into out. 0 found, -1 none. */
int gguf_quant_from_name(const char *filename, char *out, size_t size);
/* Split naming "<prefix>-%05d-of-%05d.gguf" (1-based index). Returns 0 and
 * fills index/count (and prefix, the path without the suffix, when not NULL)
 * for a split name, -1 otherwise. */
int gguf_split_parse(const char *path, int *index, int *count, char *prefix, size_t size);
/* "<prefix>-%05d-of-%05d.gguf" into buf; -1 when it does not fit. */
int gguf_split_path(char *buf, size_t size, const char *prefix, int index, int count);

#endif
